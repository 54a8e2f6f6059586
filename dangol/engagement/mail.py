"""E-mail through Django's e-mail backend (SMTP in production, files on a laptop)."""

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from dangol.engagement.channels import SendFailed, Sent
from dangol.engagement.models import Message


def send_email(message: Message) -> Sent:
    """Send ``message`` as one e-mail; its Message-ID is the provider message id.

    Raises SendFailed: permanent for a 5xx refusal, else retriable.
    """
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or None
    message_id = make_msgid(idstring=f"dangol.{message.pk}", domain=domain)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={**message.headers, "Message-ID": message_id},
        connection=get_connection(fail_silently=False),
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    try:
        email.send()
    except ValueError as error:
        # An address Python cannot parse, or a header with a line break: no retry helps.
        raise SendFailed(f"not a sendable e-mail: {error}", permanent=True) from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        raise SendFailed(f"recipient refused: {error.recipients}",
                         permanent=all(code >= 500 for code in codes)) from None
    except smtplib.SMTPResponseException as error:
        raise SendFailed(f"SMTP {error.smtp_code}: {error.smtp_error!r}",
                         permanent=error.smtp_code >= 500) from None
    except (smtplib.SMTPException, OSError) as error:
        raise SendFailed(f"SMTP: {error}", permanent=False) from None
    return Sent(provider="email", provider_message_id=message_id)
