"""Rank: every candidate ligand for one QD, best first, as a table and an interval plot; CSV download."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from qdml.app import state
from qdml.app.evidence import suggest
from qdml.app.widgets import keep, put, remember
from qdml.chemistry.composition import parse_qd_composition
from qdml.data.io import csv_text
from qdml.data.schema import COLOURS
from qdml.exceptions import QdmlError
from qdml.targets import TARGETS
from qdml.workflows.ranking import rank

DEFAULT_QD = "CsPbI3"
BY = {
    "mean": "prediction",
    "lower": "lower bound (cautious)",
    "ucb": "upper bound (exploring)",
}


@st.cache_data(max_entries=64, show_spinner="Ranking...")
def _ranking(model: str, qd: str, targets: tuple, by: str, goals: tuple, pareto: bool, el_color: str) -> pd.DataFrame:
    """Cached per inputs: a ranking scores every knowledge-base ligand (about a second)."""
    sample = {"el_color": el_color} if el_color else None
    return rank(qd, list(targets), by=by, model=state.bundle(model), pareto=pareto, sample=sample,
                goals=dict(goals))


def interval_chart(table: pd.DataFrame, target: str, top: int) -> alt.Chart:
    """Prediction and interval of the ``top`` candidates for ``target``; measured values as ticks."""
    spec = TARGETS[target]
    df = table.head(top).copy()
    df["domain"] = df["in_domain"].map({True: "in domain", False: "out of domain"})
    order = list(df["ligand"])
    base = alt.Chart(df).encode(y=alt.Y("ligand:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)))
    colour = alt.Color("domain:N", scale=alt.Scale(domain=["in domain", "out of domain"],
                                                   range=["#1f77b4", "#bbbbbb"]), title=None)
    rule = base.mark_rule(strokeWidth=3).encode(x=alt.X(f"{target}_lo:Q", title=spec.header),
                                                x2=f"{target}_hi:Q", color=colour)
    point = base.mark_point(filled=True, size=60, color="black").encode(
        x=f"{target}_pred:Q", tooltip=["rank", "ligand", f"{target}_pred", f"{target}_lo", f"{target}_hi"])
    layers = [rule, point]
    measured = f"measured_{target}"
    if measured in df.columns and df[measured].notna().any():
        layers.append(base.mark_tick(color="#d62728", thickness=2, size=14).encode(
            x=f"{measured}:Q", tooltip=["ligand", measured]))
    return alt.layer(*layers).properties(height=alt.Step(22))


def render() -> None:
    st.title("Rank")
    st.caption("Score every ligand of the knowledge base on one QD and sort them, best first.")
    path = state.active_model()
    bundle = state.bundle(path)
    targets_all = bundle.predictor.targets
    remember("rank_qd", DEFAULT_QD)
    remember("rank_targets", ["eqe"] if "eqe" in targets_all else targets_all[:1])
    remember("rank_by", "mean")
    remember("rank_goal_on", False)
    remember("rank_goal", 630.0)
    remember("rank_el_color", "")
    remember("rank_top", 20)
    c1, c2, c3 = st.columns([2, 2, 2])
    with c1:
        st.text_input("QD composition", key="rank_qd", on_change=keep, args=("rank_qd",),
                      help="e.g. CsPbI3, CsPb(Br0.4Cl0.6)3, InP/ZnSe/ZnS")
        st.selectbox("Nominal emission colour (optional)", [""] + COLOURS, key="rank_el_color",
                     on_change=keep, args=("rank_el_color",), format_func=lambda c: c or "not given")
    with c2:
        st.multiselect("Targets", targets_all, key="rank_targets", on_change=keep, args=("rank_targets",),
                       format_func=lambda t: TARGETS[t].header)
        st.radio("Score by", list(BY), key="rank_by", on_change=keep, args=("rank_by",),
                 format_func=BY.get, horizontal=True)
    with c3:
        st.checkbox("Aim for an emission peak", key="rank_goal_on", on_change=keep, args=("rank_goal_on",),
                    disabled="peak_nm" not in targets_all)
        st.number_input("Goal peak (nm)", key="rank_goal", min_value=250.0, max_value=2500.0, step=5.0,
                        on_change=keep, args=("rank_goal",), disabled=not st.session_state["rank_goal_on"])
        st.slider("Show the best", 5, 60, key="rank_top", on_change=keep, args=("rank_top",))
    qd = st.session_state["rank_qd"].strip()
    targets = list(st.session_state["rank_targets"])
    goals = {}
    if st.session_state["rank_goal_on"] and "peak_nm" in targets_all:
        goals["peak_nm"] = float(st.session_state["rank_goal"])
        if "peak_nm" not in targets:
            targets.append("peak_nm")
            st.caption("The peak goal adds the emission peak to the ranked targets.")
    pareto = False
    if len(targets) > 1:
        remember("rank_pareto", False)
        pareto = st.checkbox("Rank by Pareto front first", key="rank_pareto", on_change=keep, args=("rank_pareto",))
    if not targets:
        st.info("Pick at least one target.")
        return
    try:
        parse_qd_composition(qd)
    except QdmlError as exc:
        st.error(f"QD: {exc}")
        close = suggest(qd, sorted(state.dataset()[0]["qd"].unique()))
        for col, s in zip(st.columns(max(1, len(close))), close):
            col.button(s, key=f"rank_suggest_{s}", on_click=put, args=("rank_qd", s))
        return
    try:
        table = _ranking(path, qd, tuple(targets), st.session_state["rank_by"], tuple(sorted(goals.items())),
                         pareto, st.session_state["rank_el_color"])
    except QdmlError as exc:
        st.error(str(exc))
        return
    top = int(st.session_state["rank_top"])
    goal_text = "".join(f", goal {TARGETS[t].label} = {v:g} {TARGETS[t].unit}" for t, v in goals.items())
    st.subheader(f"Ligands for {qd}: by {BY[st.session_state['rank_by']]} of "
                 f"{', '.join(TARGETS[t].label for t in targets)}{goal_text}")
    st.caption(f"{state.model_caption(path)}. {int(table['in_domain'].sum())} of {len(table)} candidates are "
               "inside the applicability domain; measured_* columns hold the literature value where the pair "
               "was measured.")
    for sentence in table.attrs.get("verdicts", []):  # does each target's model beat its best baseline?
        st.caption(sentence)
    for note in table.attrs.get("notes", []):  # a rule that predicts a target; ligands tied on one score
        st.info(note)
    shown = table.drop(columns=["domain_reason"]).head(top)
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.1f") for c in shown.columns
                                if c.endswith(("_pred", "_lo", "_hi")) or c.startswith("measured_") or c == "score"})
    chart_target = targets[0]
    st.markdown(f"**{TARGETS[chart_target].header}: prediction (dot), interval (bar), measured (red tick)**")
    st.altair_chart(interval_chart(table, chart_target, top), width="stretch")
    st.download_button("Download the ranking (CSV)", csv_text(table).encode("utf-8"),
                       file_name=f"rank_{qd.replace('/', '-')}_{'_'.join(targets)}.csv", mime="text/csv")
