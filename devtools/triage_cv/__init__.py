"""Honest estimates of the triage on sources it has not seen (issue #18): cross-validation
grouped by source family over the real corpus's ``train`` and ``dev`` splits."""
