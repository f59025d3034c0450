from audit.services.record import Actor, audit_record
from audit.services.retention import audit_purge_expired
from audit.services.verify import audit_verify

__all__ = ["Actor", "audit_purge_expired", "audit_record", "audit_verify"]
