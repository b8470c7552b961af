"""Learn: estimators for tiny tabular data, conformal intervals, applicability domain, the fitted
:class:`~qdml.learn.predictor.Predictor` and the bundles it is saved in."""
