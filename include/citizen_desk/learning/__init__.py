"""Learning from officers (issue 18): corrections, model versions, the weekly retrain.

* :mod:`~citizen_desk.learning.corrections`: an officer corrects a case's category and urgency
  (audited; one `triage_corrections` row per case; a correction to `tip` creates the tip the way
  the collection does, a correction away from it closes the open tip);
* :mod:`~citizen_desk.learning.champion`: the model the ingest triages with, the champion of
  `triage_models` (read once per session, parsed once per version), else the shipped file;
* :mod:`~citizen_desk.learning.versions`: the versions (seed the shipped one, promote, roll back);
* :mod:`~citizen_desk.learning.retrain` and :mod:`~citizen_desk.learning.figures`: the weekly
  challenger, trained on the corpus and the corrections, measured and promoted or not;
* :mod:`~citizen_desk.learning.tasks`: the task bodies of `retrain_triage_model`.

The room sits at layer 4 (it reads and writes the domain DB); the pure model is `triage/`.
"""
