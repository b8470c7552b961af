"""Featurize: ligands, QD compositions and ligand-QD pairs as numeric vectors (sklearn transformers)."""
