"""Vietnamese text handling shared by triage and privacy: folding, normalisation, tokens.

Pure functions, no I/O. May import nothing else of the package.
"""
