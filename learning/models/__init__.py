"""The learning app's models: pages in ``pages``, learner records in ``records``."""

from learning.models.pages import (
    ModulePage,
    ModulePageForm,
    SenseCheck,
    SenseCheckRole,
    TrainingCatalogPage,
)
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
from learning.models.workflow import SenseCheckTask

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
    "SenseCheck",
    "SenseCheckRole",
    "SenseCheckTask",
    "TrainingCatalogPage",
    "TrainingException",
    "TrainingStatus",
]
