"""Reusable workflows: states, transitions, guards and time limits as data (docs/workflow.md).

Import the door as ``from citybase.workflow import service as workflow_service``.
"""
