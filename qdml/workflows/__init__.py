"""Workflows, DataFrame in and DataFrame out: train, predict, rank, add data, screen, summarize.

Data flows one way: read -> validate -> featurize -> fit/evaluate -> persist -> predict/rank.
The CLI only parses arguments and prints what these return.
"""
