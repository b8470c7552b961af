"""Your data: validate an upload, add it to a working copy, retrain in the session, compare CV, download."""

from __future__ import annotations

import os
import time

import streamlit as st

from qdml.app import state
from qdml.app.evidence import compare_cv
from qdml.app.workspace import entries_before
from qdml.evaluation.schemes import SCHEMES
from qdml.exceptions import QdmlError, ValidationError
from qdml.targets import TARGETS

#: Default scheme: one the shipped bundle already scored, so "before" costs nothing.
DEFAULT_SCHEME = "leave-one-ligand-out"
NO_CV = "none (fastest: no before/after comparison)"


def _problems_block(problems) -> None:
    st.error(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: nothing was added. "
             "Fix them in your file and upload it again.")
    st.code("\n".join(str(p) for p in problems), language=None)


def _upload(ws) -> None:
    st.subheader("1. Upload a CSV")
    st.caption("Columns as in the bundled dataset: `ligand`, `qd` and at least one measured column (`eqe` %, "
               "`plqy` %, `peak_nm`, `fwhm_nm`, ...); `reference`, `evidence`, `role`, `pair_id` as you have them. "
               "Problems are listed as FILE:LINE: column 'NAME': message, the header being line 1.")
    upload = st.file_uploader("Your measurements (CSV, UTF-8)", type=["csv"], key="upload")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        checked = ws.check_upload(upload.name, data)
    except ValidationError as exc:
        _problems_block(exc.problems)
        return
    st.success(f"{upload.name}: {checked.n_rows} valid row{'s' if checked.n_rows != 1 else ''}.")
    for w in checked.warnings:
        st.caption(f"note: {w}")
    st.dataframe(checked.frame.reset_index(), hide_index=True, width="stretch")
    added_key = ("added", upload.name, upload.file_id)
    if st.session_state.get("qdml_added") == added_key:
        st.info("These rows are in the working copy.")
        return
    if st.button(f"Add {upload.name} to the working copy", type="primary"):
        try:
            report = ws.add_upload(upload.name, data)
        except ValidationError as exc:
            _problems_block(exc.problems)
            return
        except QdmlError as exc:
            st.error(str(exc))
            return
        st.session_state["qdml_added"] = added_key
        skipped = f"; skipped {len(report.skipped_duplicates)} already present (lines " \
                  f"{', '.join(map(str, report.skipped_duplicates))})" if report.skipped_duplicates else ""
        dropped = f"; columns not in the dataset left out: {', '.join(report.dropped_columns)}" \
            if report.dropped_columns else ""
        st.success(f"Added {report.added} rows; the working copy now has {report.rows_after} rows{skipped}{dropped}.")


def _retrain(ws, metadata: dict) -> None:
    st.subheader("2. Retrain on the working copy")
    bundle_targets = list(metadata.get("targets") or [])
    targets = st.multiselect("Targets", bundle_targets, default=bundle_targets, key="retrain_targets",
                             format_func=lambda t: TARGETS[t].header)
    options = [s for s in SCHEMES if s != "leave-one-out"] + [NO_CV]
    scheme = st.selectbox("Cross-validation scheme for before/after", options,
                          index=options.index(DEFAULT_SCHEME), key="retrain_scheme",
                          help="Nested CV takes minutes on two cores; 'none' trains only.")
    scheme = None if scheme == NO_CV else scheme
    if not ws.changed:
        st.caption("The working copy equals the bundled dataset: add your rows first to see what they change.")
    st.caption("Keep this page open while it trains: leaving it stops the training (nothing half-written is kept).")
    if not st.button("Retrain", disabled=not targets):
        return
    jobs = max(1, min(2, os.cpu_count() or 1))
    steps = {"n": 0}
    started = time.monotonic()
    with st.status("Retraining...", expanded=True) as status:
        line = st.empty()

        def progress(what: str, done: int | None = None, total: int | None = None) -> None:
            # evaluate and train report (description, done, total)
            steps["n"] = done if done is not None else steps["n"] + 1
            of = f" of {total}" if total else ""
            line.write(f"step {steps['n']}{of}: {what} ({time.monotonic() - started:.0f} s)")

        try:
            before = []
            if scheme:
                status.update(label="Cross-validation on the bundled data (before)...")
                before = entries_before(metadata, targets, scheme, n_jobs=jobs, progress=progress)
            status.update(label="Training on the working copy (after)...")
            result = ws.retrain(targets, scheme, progress=progress, n_jobs=jobs)
        except QdmlError as exc:
            status.update(label="Retraining failed", state="error")
            st.error(str(exc))
            return
        status.update(label=f"Retrained in {time.monotonic() - started:.0f} s", state="complete", expanded=False)
    st.session_state["qdml_last_run"] = {"path": str(result.path), "before": before, "after": result.entries,
                                         "scheme": scheme, "rows": result.metadata["rows"]}


def _results(ws) -> None:
    run = st.session_state.get("qdml_last_run")
    if not run:
        return
    st.subheader("3. Before and after")
    if run["scheme"]:
        st.caption(f"Mean absolute error under {run['scheme']} cross-validation, bundled data (before) and working "
                   f"copy, {run['rows']} training rows (after), beside the best baseline scored on the same folds.")
        st.dataframe(compare_cv(run["before"], run["after"]), hide_index=True, width="stretch")
    else:
        st.info("Trained without cross-validation: no before/after comparison.")
    result = next(r for r in ws.runs if str(r.path) == run["path"])
    c1, c2 = st.columns(2)
    c1.download_button("Download the merged dataset (CSV)", ws.merged_bytes(), file_name=f"merged_{ws.source.name}",
                       mime="text/csv")
    c2.download_button("Download the retrained bundle (zip)", ws.bundle_zip(result),
                       file_name=f"qdml-{result.path.name}.zip", mime="application/zip")
    use = st.toggle("Use the retrained model on the Predict and Rank pages (this session only)",
                    value=st.session_state.get(state.SESSION_MODEL) == run["path"], key="use_retrained")
    if use:
        st.session_state[state.SESSION_MODEL] = run["path"]
    elif st.session_state.get(state.SESSION_MODEL) == run["path"]:
        del st.session_state[state.SESSION_MODEL]


def render() -> None:
    st.title("Your data")
    ws = state.workspace()
    st.caption(f"Your rows go into a working copy of the bundled dataset in a temporary folder of this session "
               f"({ws.rows()} rows now); the bundled file is never changed. Download what you want to keep.")
    _upload(ws)
    metadata = state.bundle_metadata(state.configured_model_path())
    _retrain(ws, metadata)
    _results(ws)
