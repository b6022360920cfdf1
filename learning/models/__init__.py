"""The learning app's models: pages in ``pages``, learner records in ``records``."""

from learning.models.pages import ModulePage, ModulePageForm, TrainingCatalogPage
from learning.models.records import (
    Attempt,
    Completion,
    ExceptionReason,
    ExternalTraining,
    Feedback,
    Requirement,
    SectionProgress,
    SectionVisit,
    TrainingException,
    TrainingStatus,
)

__all__ = [
    "Attempt",
    "Completion",
    "ExceptionReason",
    "ExternalTraining",
    "Feedback",
    "ModulePage",
    "ModulePageForm",
    "Requirement",
    "SectionProgress",
    "SectionVisit",
    "TrainingCatalogPage",
    "TrainingException",
    "TrainingStatus",
]
