from celery import shared_task

from audit.services import audit_verify


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def audit_verify_task() -> int:
    """Check the whole chain and store the outcome; returns the AuditVerification id."""
    return audit_verify().pk
