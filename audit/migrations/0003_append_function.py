"""``aldis_audit_append``: one audit event appended in one statement on PostgreSQL (see
``audit.services.record``). The function is written into the migration: a later change to it
is a new migration."""

from django.db import migrations

APPEND = r"""
CREATE OR REPLACE FUNCTION aldis_audit_append(
    p_lock bigint, p_occurred_at timestamptz, p_actor_type text, p_actor_id text, p_action text,
    p_target_type text, p_target_id text, p_data jsonb, p_request_id text, p_middle text
) RETURNS TABLE (seq bigint, prev_hash text, hash text) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_seq bigint;
    v_prev text;
    v_hash text;
BEGIN
    -- Each statement of a volatile function reads a fresh snapshot: taken after the lock, the
    -- head read below is the last event committed by whoever held the lock before.
    PERFORM pg_advisory_xact_lock(p_lock);
    SELECT e.seq, e.hash INTO v_seq, v_prev FROM audit_auditevent e ORDER BY e.seq DESC LIMIT 1;
    v_seq := COALESCE(v_seq, 0) + 1;
    v_prev := COALESCE(v_prev, repeat('0', 64));
    -- The canonical JSON array of record.hash_of: [seq, <the middle, from Python>, prev_hash].
    v_hash := encode(sha256(convert_to('[' || v_seq || ',' || p_middle || ',"' || v_prev || '"]', 'UTF8')), 'hex');
    INSERT INTO audit_auditevent (seq, occurred_at, actor_type, actor_id, action, target_type,
        target_id, data, request_id, prev_hash, hash)
    VALUES (v_seq, p_occurred_at, p_actor_type, p_actor_id, p_action, p_target_type, p_target_id,
        p_data, p_request_id, v_prev, v_hash);
    RETURN QUERY SELECT v_seq, v_prev, v_hash;
END
$fn$;
"""
DROP = "DROP FUNCTION IF EXISTS aldis_audit_append(bigint, timestamptz, text, text, text, text, text, jsonb, text, text);"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forward, backward)]
