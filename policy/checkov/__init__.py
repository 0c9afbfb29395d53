"""Custom checkov checks for the two EKS roles (ids ``CKV_EKSIAM_*``); see README.md.

checkov loads every ``.py`` file of this directory as a top-level module, and only from a
directory that has an ``__init__.py``: this file is that marker.
"""
