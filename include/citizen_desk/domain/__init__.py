"""The domain vocabulary: categories, statuses, roles and their one Vietnamese wording.

`vocabulary` holds the StrEnums every module (and the DB's CHECK constraints) uses; `labels` is
the single label table shown in posts, Slack and the web. Pure; imports nothing of the package.
"""
