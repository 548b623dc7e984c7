"""Demo data for ``make run``: questions in every state on the demo conference. Idempotent."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from conferences.models import Conference
from registrations.models import Registration

from .choices import QuestionStatus
from .models import Answer, Question

DEMO_SUPPLIERS = (
    ("Fjordsensor AS", "Kari Nordmann", "kari@fjordsensor.example"),
    ("Havdata AB", "Sven Svensson", "sven@havdata.example"),
    ("Kystnett AS", "Ola Hansen", "ola@kystnett.example"),
)

DEMO_QUESTIONS = (
    ("Vil konkurransen deles i flere delkontrakter?", QuestionStatus.ANSWERED, True),
    ("Hvilke krav stilles til oppetid for sensorene?", QuestionStatus.PUBLISHED, False),
    ("Kan utenlandske leverandører levere tilbud på engelsk?", QuestionStatus.ANSWERED, False),
    ("Når publiseres konkurransegrunnlaget?", QuestionStatus.AWAITING, False),
    ("Hva er budsjettet til Fjordsensor sin konkurrent?", QuestionStatus.REJECTED, False),
    ("Deles konkurransen opp i delkontrakter?", QuestionStatus.MERGED, False),
)


# The written answers, by question, in Bokmål, Nynorsk and English.
DEMO_ANSWERS = {
    "Vil konkurransen deles i flere delkontrakter?": (
        "Ja. Vi planlegger to delkontrakter: sensorer langs farleden og driften av "
        "overvåkingstjenesten. Møtene med leverandørene skal gi oss innspill til delingen.",
        "Ja. Vi planlegg to delkontraktar: sensorar langs farleia og drifta av "
        "overvakingstenesta. Møta med leverandørane skal gi oss innspel til delinga.",
        "Yes. We plan two lots: sensors along the fairway and the operation of the "
        "monitoring service. The meetings with suppliers will inform how it is divided.",
    ),
    "Kan utenlandske leverandører levere tilbud på engelsk?": (
        "Ja. Tilbud kan leveres på norsk, svensk, dansk eller engelsk.",
        "Ja. Tilbod kan leverast på norsk, svensk, dansk eller engelsk.",
        "Yes. Tenders may be submitted in Norwegian, Swedish, Danish or English.",
    ),
}


def _translate_answers(conference: Conference) -> None:
    """The written answers' Nynorsk and English versions, where still empty."""
    for answer in Answer.objects.filter(question__conference=conference).select_related("question"):
        texts = DEMO_ANSWERS.get(answer.question.original_text)
        if texts is None:
            continue
        changed = {
            f"text_{language}": text
            for language, text in zip(("nn", "en"), texts[1:], strict=True)
            if not getattr(answer, f"text_{language}")
        }
        if changed:
            Answer.objects.filter(pk=answer.pk).update(**changed)


@transaction.atomic
def seed_qa(conference: Conference) -> list[Question]:
    """Three demo registrations and one question in each state (no emails, no live events);
    the answered ones have a written answer in Bokmål, Nynorsk and English."""
    if Question.objects.filter(conference=conference).exists():
        _translate_answers(conference)
        return list(Question.objects.filter(conference=conference))
    now = timezone.now()
    registrations = []
    for name, contact, email in DEMO_SUPPLIERS:
        registration, _ = Registration.objects.get_or_create(
            conference=conference,
            email=email,
            defaults={
                "organisation_name": name,
                "country": "SE" if email.endswith("havdata.example") else "NO",
                "contact_name": contact,
                "language": "nb",
                "privacy_acknowledged_at": now,
            },
        )
        registrations.append(registration)
    created: list[Question] = []
    for i, (text, status, answered_live) in enumerate(DEMO_QUESTIONS):
        public = status in (QuestionStatus.PUBLISHED, QuestionStatus.ANSWERED)
        question = Question.objects.create(
            conference=conference,
            registration=registrations[i % len(registrations)],
            text=text,
            original_text=text,
            show_company=i == 1,
            status=status,
            published_at=now if public else None,
            answered_live=answered_live,
            answered_at=now if status == QuestionStatus.ANSWERED else None,
            vote_count=3 - i if public else 0,
            rejection_reason=(
                "Spørsmålet gjelder en annen leverandør."
                if status == QuestionStatus.REJECTED
                else ""
            ),
            merged_into=created[0] if status == QuestionStatus.MERGED else None,
            topics="kontrakt" if i in (0, 5) else "",
        )
        if status == QuestionStatus.ANSWERED:
            nb, nn, en = DEMO_ANSWERS[text]
            Answer.objects.create(
                question=question, text_nb=nb, text_nn=nn, text_en=en, published_at=now
            )
        created.append(question)
    return created
