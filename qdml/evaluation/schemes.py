"""Names of the cross-validation schemes (kept free of heavy imports for ``--help``)."""

SCHEMES: tuple[str, ...] = (
    "repeated-kfold",
    "leave-one-out",
    "leave-one-ligand-out",
    "leave-one-qd-out",
    "leave-one-reference-out",
    "leave-one-cluster-out",
    "leave-one-element-out",
)
