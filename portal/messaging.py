"""Emails the portal sends: one helper renders a template triplet and sends it.

Each email is ``templates/email/<name>_subject.txt``, ``<name>.txt`` and
``<name>.html``, rendered with the clinic in the context. The subject and the plain text go
through the "text" template engine (no HTML escaping: "A&E" stays "A&E"), the HTML through the
default one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string

from portal.models import Clinic

# The template engine for plain text (settings.TEMPLATES): autoescape off.
TEXT_ENGINE = "text"


@dataclass
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)


def render_email(name: str, context: dict[str, Any]) -> RenderedEmail:
    context = {"clinic": Clinic.objects.current(), "site_url": settings.SITE_URL, **context}
    subject = " ".join(
        render_to_string(f"email/{name}_subject.txt", context, using=TEXT_ENGINE).split()
    )
    return RenderedEmail(
        subject=subject,
        text=render_to_string(f"email/{name}.txt", context, using=TEXT_ENGINE),
        html=render_to_string(f"email/{name}.html", context),
    )


def from_address(clinic: Clinic | None = None) -> str:
    """The From of every email: the clinic's own (``Clinic.email_from``), else the setting."""
    clinic = clinic or Clinic.objects.current()
    return clinic.email_from or settings.DEFAULT_FROM_EMAIL


def send_email(to: str, email: RenderedEmail, connection: BaseEmailBackend | None = None) -> None:
    """Send one rendered email to one address (raises on transport errors so tasks can retry);
    pass an open ``connection`` to send many over one mail-server session."""
    clinic = Clinic.objects.current()
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=from_address(clinic),
        to=[to],
        reply_to=[clinic.email] if clinic.email else None,
        connection=connection,
    )
    message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send()
