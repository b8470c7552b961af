"""Predict: one ligand on one QD, every target with its interval, domain verdict, CV verdict, precedents."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qdml.app import state
from qdml.app.evidence import model_verdict, precedents, suggest
from qdml.app.widgets import fmt, keep, md, pick, put, remember
from qdml.chemistry.composition import parse_qd_composition
from qdml.chemistry.ligands import knowledge_base_ligands, parse_ligand
from qdml.data.schema import COLOURS
from qdml.exceptions import QdmlError, UnknownLigandError
from qdml.learn.estimators import rule_phrase
from qdml.targets import TARGETS
from qdml.workflows.prediction import predict

DEFAULT_LIGAND = "SCN-"
DEFAULT_QD = "CsPbBr3"
LIGAND_HELP = (
    "Write the ligand as in a paper: an ion (`SCN-`, `SO4 2-`, `SO₄²⁻`, `In3+`), a salt (`KI`, "
    "`In(NO3)3`), a mixture (`Cs+/Rb+`, `BA-/K+`), a name (`thiocyanate`) or a SMILES."
)
QD_HELP = (
    "The QD composition: `CsPbBr3`, `CsPb(Br0.4Cl0.6)3`, `FA0.8Cs0.2PbI3`, `CsPbBrxCl3-x` "
    "(fractions left open), core/shell `InP/ZnSe/ZnS`, alloys `Zn-Ag-In-Ga-S`."
)
SAMPLE_FIELDS = {
    "size_nm": "QD size (nm)",
    "pristine_peak_nm": "PL peak of the untreated QDs (nm)",
    "control_plqy": "Control's PLQY (%)",
    "control_eqe": "Control device's EQE (%)",
    "control_peak_nm": "Control's peak (nm)",
}
CONFIDENCES = [0.5, 0.68, 0.8, 0.9, 0.95]


def _inputs() -> tuple[str, str, dict, float]:
    remember("ligand", DEFAULT_LIGAND)
    remember("qd", DEFAULT_QD)
    left, right = st.columns(2)
    with left:
        st.text_input("Ligand", key="ligand", help=LIGAND_HELP, on_change=keep, args=("ligand",))
        st.selectbox("...or pick one of the knowledge base", [""] + knowledge_base_ligands(),
                     key="ligand_pick", on_change=pick, args=("ligand_pick", "ligand"))
    with right:
        st.text_input("QD composition", key="qd", help=QD_HELP, on_change=keep, args=("qd",))
        known_qds = sorted(state.dataset()[0]["qd"].unique())
        st.selectbox("...or pick a QD of the dataset", [""] + known_qds, key="qd_pick",
                     on_change=pick, args=("qd_pick", "qd"))
    sample: dict = {}
    with st.expander("What you know of your QDs (optional: colour, size, pristine peak, your control's values)"):
        cols = st.columns(3)
        remember("el_color", "")
        with cols[0]:
            st.selectbox("Nominal emission colour", [""] + COLOURS, key="el_color", on_change=keep, args=("el_color",),
                         format_func=lambda c: c or "not given")
        for i, (key, label) in enumerate(SAMPLE_FIELDS.items(), start=1):
            remember(key, None)
            with cols[i % 3]:
                st.number_input(label, key=key, value=None, min_value=0.0, step=1.0, on_change=keep, args=(key,),
                                placeholder="not given")
        for key in ("el_color", *SAMPLE_FIELDS):
            if st.session_state.get(key) not in (None, ""):
                sample[key] = st.session_state[key]
        remember("confidence", 0.8)
        st.select_slider("Interval level", CONFIDENCES, key="confidence", on_change=keep, args=("confidence",),
                         format_func=lambda c: f"{c:.0%}")
    return st.session_state["ligand"].strip(), st.session_state["qd"].strip(), sample, st.session_state["confidence"]


def _resolve(ligand: str, qd: str):
    """Parsed ligand and QD, or None after showing what is wrong and what was probably meant."""
    ok = True
    lig = comp = None
    try:
        lig = parse_ligand(ligand)
    except UnknownLigandError as exc:
        ok = False
        st.error(f"Ligand: {exc}")
        if exc.suggestions:
            st.write("Did you mean:")
            cols = st.columns(len(exc.suggestions))
            for col, s in zip(cols, exc.suggestions):
                col.button(s, key=f"suggest_ligand_{s}", on_click=put, args=("ligand", s))
        st.caption(LIGAND_HELP)
    try:
        comp = parse_qd_composition(qd)
    except QdmlError as exc:
        ok = False
        st.error(f"QD: {exc}")
        close = suggest(qd, sorted(state.dataset()[0]["qd"].unique()))
        if close:
            st.write("Did you mean:")
            cols = st.columns(len(close))
            for col, s in zip(cols, close):
                col.button(s, key=f"suggest_qd_{s}", on_click=put, args=("qd", s))
        st.caption(QD_HELP)
    return (lig, comp) if ok else None


@st.cache_data(max_entries=512, show_spinner=False)
def _predicted(model: str, pair: tuple, confidence: float) -> pd.Series:
    """One pair's predictions, cached per model and inputs: going back to a pair costs nothing."""
    return predict(pd.DataFrame([dict(pair)]), state.bundle(model), confidence).iloc[0]


def _verdict_text(verdict: dict | None, unit: str) -> str:
    if verdict is None:
        return "No cross-validation stored in this bundle."
    ci = verdict.get("mae_ci") or [None, None]
    return (f"{verdict['scheme']} CV: MAE {fmt(verdict['mae'])} {unit} (95 % CI {fmt(ci[0])}–{fmt(ci[1])}) "
            f"against {fmt(verdict['best_baseline_mae'])} {unit} for {verdict['best_baseline']}: "
            f"{verdict['verdict']}.")


def render() -> None:
    st.title("Predict")
    st.caption("Predicted PLQY, LED EQE, emission peak and FWHM of quantum dots treated with an inorganic "
               "ligand, each with an interval, from a model trained on a curated literature table.")
    ligand, qd, sample, confidence = _inputs()
    resolved = _resolve(ligand, qd)
    if resolved is None:
        return
    lig, comp = resolved
    path = state.active_model()
    bundle = state.bundle(path)
    try:
        row = _predicted(path, tuple({"ligand": ligand, "qd": qd, **sample}.items()), confidence)
    except QdmlError as exc:
        st.error(str(exc))
        return
    st.subheader(f"{lig.name} on {comp.normalized}")
    st.caption(f"Ligand: {lig.ligand_class}, {lig.binding_type}-type, {lig.hsab_class} (HSAB); "
               f"QD family: {comp.family}. {state.model_caption(path)}")
    if bool(row["in_domain"]):
        st.success("Inside the model's applicability domain: the ligand class, QD family and elements "
                   "were all seen in training.")
    else:
        st.warning(f"Outside the applicability domain ({row['domain_reason']}): the intervals are widened; "
                   "treat the numbers as a rough guide.")
    mode = str(row.get("mode", "absolute") or "absolute")
    targets = bundle.predictor.targets
    cols = st.columns(len(targets))
    for col, t in zip(cols, targets):
        spec = TARGETS[t]
        t_mode = mode if t in bundle.predictor.paired_models else "absolute"
        verdict = model_verdict(bundle.metadata, t, t_mode)
        with col:
            st.metric(spec.header, fmt(row[f"{t}_pred"], spec.decimals),
                      help=f"{spec.description}; {confidence:.0%} interval below")
            st.caption(f"{confidence:.0%} interval: {fmt(row[f'{t}_lo'], spec.decimals)}–"
                       f"{fmt(row[f'{t}_hi'], spec.decimals)} {spec.unit}"
                       + (" · from your control (paired model)" if t_mode == "paired" else ""))
    if str(row.get("note", "") or ""):  # what the chemistry says beside the numbers (a halide exchange)
        st.warning(str(row["note"]))
    st.markdown("**Each model against its best baseline** (the best of training mean, QD-family mean and "
                "median, nearest neighbour, for the peak the colour prior, and from a control no change or "
                "the control plus the median change, scored on the same folds)")
    for t in targets:
        t_mode = mode if t in bundle.predictor.paired_models else "absolute"
        verdict = model_verdict(bundle.metadata, t, t_mode)
        info = bundle.predictor.target_info.get(("paired_" if t_mode == "paired" else "") + t, {})
        rule = rule_phrase(info.get("estimator"))
        st.markdown(f"- **{TARGETS[t].label}**: {md(_verdict_text(verdict, TARGETS[t].unit) + rule)}")
    if "nearest_precedent" in row.index and str(row["nearest_precedent"] or ""):
        st.info(f"Nearest precedent (from the predictor): {row['nearest_precedent']}")
    _precedents(ligand, qd)


def _precedents(ligand: str, qd: str) -> None:
    data, keys = state.dataset()
    table = precedents(ligand, qd, data, keys, k=5)
    st.subheader("Nearest literature precedents")
    st.caption("Rows of the bundled dataset closest to this pair: the pair itself, then the same ligand on the "
               "same QD family, the same ligand elsewhere, the same ligand class on the same family. Line = line "
               "of datasets/qd_ligand_literature.csv.")
    if table.empty:
        st.info("No row of the dataset has this ligand or its class on this QD family: the prediction rests on "
                "chemistry features alone.")
        return
    for _, r in table.iterrows():
        values = ", ".join(f"{TARGETS[t].label} {fmt(r[t], TARGETS[t].decimals)} {TARGETS[t].unit}"
                           for t in ("plqy", "eqe", "peak_nm", "fwhm_nm") if fmt(r[t]))
        role = "control" if r["role"] == "control" else "treated"
        st.markdown(f"**{md(r['ligand'])} on {md(r['qd'])}** ({r['match']}; {role}; line {r['line']}): "
                    f"{md(values) or 'no value'}  \n*{md(r['reference'])}*")
        if str(r["evidence"]).strip():
            st.markdown(f"> {md(r['evidence'])}")
        if str(r["flags"]).strip():
            st.caption(f"flags: {r['flags']}")
