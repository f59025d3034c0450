"""``spool_upload``: the body to a temporary file in chunks, within the size limit, always deleted."""

import io
import os
from pathlib import Path

import pytest

from aldis.exceptions import ApplicationError
from aldis.feeds.api.parsers import CHUNK_BYTES, spool_upload


@pytest.fixture(autouse=True)
def _temp_dir(settings, tmp_path: Path) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)


def test_the_body_is_copied_and_deleted_afterwards(tmp_path):
    data = b"a,b\r\n" * (CHUNK_BYTES // 2)  # several chunks
    with spool_upload(io.BytesIO(data), declared_bytes=len(data), limit=len(data)) as path:
        assert path.parent == tmp_path
        assert path.read_bytes() == data
    assert not path.exists()
    assert os.listdir(tmp_path) == []


def test_no_stream_is_an_empty_file(tmp_path):
    with spool_upload(None, declared_bytes=None, limit=10) as path:
        assert path.read_bytes() == b""
    assert os.listdir(tmp_path) == []


def test_a_declared_length_over_the_limit_is_refused_before_reading(tmp_path):
    stream = io.BytesIO(b"x" * 20)
    with pytest.raises(ApplicationError) as caught, spool_upload(stream, declared_bytes=20, limit=10):
        pytest.fail("must not get here")
    assert (caught.value.status, caught.value.code, caught.value.details) == (
        413,
        "payload_too_large",
        {"max_bytes": 10},
    )
    assert stream.tell() == 0
    assert os.listdir(tmp_path) == []


def test_bytes_read_over_the_limit_are_refused_without_a_declared_length(tmp_path):
    stream = io.BytesIO(b"x" * (CHUNK_BYTES + 1))
    with (
        pytest.raises(ApplicationError) as caught,
        spool_upload(stream, declared_bytes=None, limit=CHUNK_BYTES),
    ):
        pytest.fail("must not get here")
    assert caught.value.status == 413
    assert os.listdir(tmp_path) == []


def test_the_file_is_deleted_when_the_import_raises(tmp_path):
    with pytest.raises(RuntimeError), spool_upload(io.BytesIO(b"a\n"), declared_bytes=2, limit=10):
        raise RuntimeError("the import failed")
    assert os.listdir(tmp_path) == []
