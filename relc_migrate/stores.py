"""Object stores a backup streams into: S3 (boto3) and Google Cloud Storage (google-cloud-storage).

Why the maintained clients and not our own HTTP: they bring the credential chains a Job runs with (EKS IRSA's
web-identity token, GKE Workload Identity's metadata server), retries, and each store's resumable/multipart
protocol. Each client is imported only when a backup goes to its scheme, so no other command pays for it.

What both stores promise ``backup.py``: the object appears under its final key only once the stream has been
read to its end without error. S3 gets a multipart upload completed at the end (and aborted when the stream or
a part fails), or one PutObject after the end for a dump smaller than a part; GCS gets a resumable session whose
last chunk is sent only at the end of the stream (an unfinished session is no object; GCS forgets it after a
week). The stream's ``read`` raises when pg_dump
failed, so a failed dump is never completed. Memory stays at about one part: parts are uploaded one at a time.

Endpoints and credentials come from each client's own configuration (``AWS_ENDPOINT_URL``, ``AWS_*``;
``STORAGE_EMULATOR_HOST``, Application Default Credentials), which is also how the tests point them at local
servers.
"""

from __future__ import annotations

import logging
from typing import Any

from relc_migrate.backup import PART_SIZE, ObjectStore, Readable, UploadFailed

log = logging.getLogger("relc_migrate")


def split(destination: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (``bucket``, ``some/prefix``)."""
    bucket, _, prefix = destination.split("://", 1)[1].partition("/")
    return bucket, prefix.strip("/")


def _key(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


class S3Store:
    """S3 (and S3-compatible servers) through boto3's managed transfer, one part in flight at a time."""

    def upload(self, stream: Readable, destination: str, name: str) -> str:
        import boto3
        from boto3.exceptions import S3UploadFailedError
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, prefix = split(destination)
        key = _key(prefix, name)
        # no threads: s3transfer reads a non-seekable stream part by part into memory, so one thread keeps it to
        # about one part; a dump under one part is read whole and then put, a longer one goes multipart.
        config = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, use_threads=False)
        try:
            # a session of its own, not boto3's module-global default one (which keeps the first credentials it
            # resolved for the life of the process)
            boto3.session.Session().client("s3").upload_fileobj(stream, bucket, key, Config=config)
        except (S3UploadFailedError, ClientError, BotoCoreError) as err:
            raise UploadFailed(f"upload to s3://{bucket}/{key} failed: {err}") from None
        return f"s3://{bucket}/{key}"


class GcsStore:
    """Google Cloud Storage through google-cloud-storage's resumable upload, one chunk in flight at a time.

    Why not ``blob.upload_from_file``: it opens the resumable session itself and keeps its URL, so an upload that
    fails (a failed or SIGTERM-killed pg_dump, a refused chunk) leaves the session open on the server; GCS keeps
    an unfinished session, and the chunks it holds, for a week. Here the session is the client's own
    (``Blob._initiate_resumable_upload``, what ``upload_from_file`` calls; google-cloud-storage is pinned and
    tests/migrate/test_backup_gcs.py holds this against the protocol) and is cancelled with a DELETE of its URL
    (GCS answers 499) whenever the upload does not finish."""

    def upload(self, stream: Readable, destination: str, name: str) -> str:
        from google.api_core.exceptions import GoogleAPIError, from_http_status
        from google.auth.exceptions import GoogleAuthError
        from google.cloud import storage
        from google.cloud.storage.exceptions import DataCorruption, InvalidResponse
        from requests import RequestException

        bucket, prefix = split(destination)
        key = _key(prefix, name)
        try:
            client = storage.Client()
            blob = client.bucket(bucket).blob(key, chunk_size=PART_SIZE)
            # no size: a resumable upload whose last chunk (and so the object) is sent at the end of the stream
            upload, transport = blob._initiate_resumable_upload(client, stream, "application/octet-stream", None)
            try:
                while not upload.finished:
                    upload.transmit_next_chunk(transport)
            except BaseException:
                _cancel(transport, upload.resumable_url)
                raise
        except InvalidResponse as err:  # as upload_from_file reports it: status, request, the server's reason
            response = err.response
            reason = f"{response.text}: {err}" if response.text else str(err)
            message = f"{response.request.method} {response.request.url}: {reason}"
            wrapped = from_http_status(response.status_code, message, response=response)  # type: ignore[no-untyped-call]
            raise UploadFailed(f"upload to gs://{bucket}/{key} failed: {wrapped}") from None
        except (GoogleAPIError, GoogleAuthError, DataCorruption, RequestException) as err:
            raise UploadFailed(f"upload to gs://{bucket}/{key} failed: {err}") from None
        return f"gs://{bucket}/{key}"


def _cancel(transport: Any, session_url: str) -> None:
    """Cancel a resumable session (the JSON API: DELETE of its URL, answered 499); a failure here is logged, the
    upload's own error is what the run reports."""
    from requests import RequestException

    try:
        transport.request("DELETE", session_url, timeout=30)
    except RequestException as err:
        log.warning("could not cancel the unfinished GCS upload session: %s", err)


def for_scheme(scheme: str) -> ObjectStore | None:
    """The store of an object-store scheme (``relc_contract.OBJECT_STORE_SCHEMES``), None for anything else."""
    stores: dict[str, ObjectStore] = {"s3": S3Store(), "gs": GcsStore()}
    return stores.get(scheme)
