"""The blocks a module's sections are built from, each saying what it is for."""

from typing import Any

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock


class KeyMessageBlock(blocks.StructBlock):
    """One sentence the learner should take away, shown in a highlighted panel."""

    text = blocks.TextBlock(help_text="One or two sentences.")

    class Meta:
        icon = "pick"
        template = "learning/blocks/key_message.html"
        label = "Key message"
        description = "A short message the learner should remember, set apart."
        preview_value = {
            "text": "CSE is child sexual abuse. A child can never consent to it."
        }


class CaseStudyBlock(blocks.StructBlock):
    """A fictional vignette with questions the learner thinks through."""

    title = blocks.CharBlock(max_length=120)
    scenario = blocks.RichTextBlock(features=["bold", "italic", "ul", "ol"])
    questions = blocks.ListBlock(
        blocks.CharBlock(max_length=300, label="Question"), min_num=0
    )

    class Meta:
        icon = "user"
        template = "learning/blocks/case_study.html"
        label = "Case study or vignette"
        description = (
            "A fictional composite scenario with questions to think through. "
            "Never use a real young person's details."
        )
        preview_value = {
            "title": "Leah, 14",
            "scenario": "<p><em>A fictional composite.</em> Leah met an older "
            "man through a gaming app...</p>",
            "questions": ["What worries you here?", "What would you do next?"],
        }


class QuoteBlock(blocks.StructBlock):
    """A quotation with its source."""

    text = blocks.TextBlock()
    attribution = blocks.CharBlock(max_length=200, required=False)

    class Meta:
        icon = "openquote"
        template = "learning/blocks/quote.html"
        label = "Quote"
        description = "A quotation from research, guidance or a young person's voice."
        preview_value = {
            "text": "That children and young people may appear to co-operate "
            "cannot be taken as consent",
            "attribution": "Coy, Sharp-Jeffs and Kelly (2017)",
        }


class VideoBlock(blocks.StructBlock):
    """An embedded video, always with a transcript for people who cannot watch it."""

    video = EmbedBlock(help_text="A link to the video (for example on YouTube).")
    title = blocks.CharBlock(max_length=200)
    transcript = blocks.RichTextBlock(
        features=["bold", "italic", "ul", "ol"],
        help_text="Required: a full transcript for people who cannot watch.",
    )

    class Meta:
        icon = "media"
        template = "learning/blocks/video.html"
        label = "Video with transcript"
        description = "An embedded video and its full transcript."
        preview_value = {
            "title": "A practitioner describes a first disclosure",
            "transcript": "<p>Transcript of the video.</p>",
        }


class ReflectionPromptBlock(blocks.StructBlock):
    """A question for the learner to reflect on; nothing they think is recorded."""

    prompt = blocks.TextBlock()

    class Meta:
        icon = "help"
        template = "learning/blocks/reflection_prompt.html"
        label = "Reflection prompt"
        description = "A question to pause on. Answers are not saved."
        preview_value = {
            "prompt": "Think of a young person you work with. Who do they trust?"
        }


class CitationBlock(blocks.StructBlock):
    citation = blocks.TextBlock()
    note = blocks.TextBlock(required=False)
    url = blocks.URLBlock(required=False)


class FurtherReadingBlock(blocks.StructBlock):
    """A list of sources with a note on why each is worth reading."""

    items = blocks.ListBlock(CitationBlock())

    class Meta:
        icon = "list-ul"
        template = "learning/blocks/further_reading.html"
        label = "Further reading"
        description = "Citations with a short note on each."
        preview_value = {
            "items": [
                {
                    "citation": "Department for Education (2017) Child sexual "
                    "exploitation: definition and guide for practitioners.",
                    "note": "The definition used in England.",
                }
            ]
        }


class SectionContentBlock(blocks.StreamBlock):
    """What a section may hold."""

    rich_text = blocks.RichTextBlock(
        features=["h3", "bold", "italic", "ul", "ol", "link"],
        icon="pilcrow",
        template="learning/blocks/rich_text.html",
        label="Text",
        description="Paragraphs, lists and sub-headings.",
        preview_value="<p>Child sexual exploitation is a form of child abuse.</p>",
    )
    key_message = KeyMessageBlock()
    case_study = CaseStudyBlock()
    quote = QuoteBlock()
    video = VideoBlock()
    reflection_prompt = ReflectionPromptBlock()
    further_reading = FurtherReadingBlock()


class SectionBlock(blocks.StructBlock):
    """One step of a module: a heading and its content; progress is saved per step."""

    heading = blocks.CharBlock(max_length=200)
    content = SectionContentBlock()

    class Meta:
        icon = "doc-full"
        template = "learning/blocks/section.html"
        label = "Section"
        description = "A step of the module with a heading. Learners resume here."
        preview_value = {
            "heading": "What we mean by CSE",
            "content": [("key_message", {"text": "CSE is child sexual abuse."})],
        }


class OptionBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=300)
    correct = blocks.BooleanBlock(required=False)


class QuestionBlock(blocks.StructBlock):
    """A knowledge-check question: single or multiple choice, marked on the server."""

    text = blocks.TextBlock()
    kind = blocks.ChoiceBlock(
        choices=[("single", "Single choice"), ("multiple", "Multiple choice")],
        default="single",
    )
    options = blocks.ListBlock(OptionBlock(), min_num=2)
    section = blocks.IntegerBlock(
        required=False,
        min_value=1,
        help_text="The number of the section that teaches this. A learner who "
        "gets it wrong is sent back there, and the bank is drawn across sections.",
    )
    explanation = blocks.TextBlock(help_text="Shown to the learner after they submit.")

    class Meta:
        icon = "help"
        label = "Question"
        description = (
            "Tick every correct option. A single-choice question needs exactly one."
        )
        preview_value = {
            "text": "Can a 15-year-old consent to being exploited?",
            "kind": "single",
            "options": [
                {"text": "No", "correct": True},
                {"text": "Yes, if they say so", "correct": False},
            ],
            "explanation": "Exploitation is abuse; consent does not arise.",
        }

    def clean(self, value: Any) -> Any:
        """Refuse a question whose ticked answers do not fit its kind."""
        value = super().clean(value)
        correct = sum(1 for option in value["options"] if option["correct"])
        if correct == 0:
            raise ValidationError("Tick at least one correct option.")
        if value["kind"] == "single" and correct != 1:
            raise ValidationError("A single-choice question needs exactly one.")
        return value
