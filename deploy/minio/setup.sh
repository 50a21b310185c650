#!/bin/sh
# One-shot set-up of MinIO for docex, run by the compose file's `minio-setup` service with
# the root credentials, which docex itself never gets. Safe to run again.
#
# - the `docex` bucket with object lock (which turns versioning on) and a default
#   GOVERNANCE retention: no object version can be deleted or overwritten before it ends;
# - a `docex` user (DOCEX_S3_ACCESS_KEY) whose only policy, docex-policy.json, allows on
#   that bucket alone: listing it, reading, writing, setting a retention on write, and
#   DeleteObject. In a versioned bucket DeleteObject only adds a delete marker, so
#   `docex storage reconcile` can hide an orphan but not destroy any bytes; the policy
#   grants neither s3:DeleteObjectVersion nor s3:BypassGovernanceRetention.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${DOCEX_S3_ACCESS_KEY:?}" "${DOCEX_S3_SECRET_KEY:?}"
BUCKET=docex
DAYS="${BUCKET_RETENTION_DAYS:-3650}"
HERE=$(dirname "$0")

mc alias set root http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing --with-lock "root/$BUCKET"
mc retention set --default GOVERNANCE "${DAYS}d" "root/$BUCKET"

mc admin policy create root docex-app "$HERE/docex-policy.json"
mc admin user add root "$DOCEX_S3_ACCESS_KEY" "$DOCEX_S3_SECRET_KEY"
if ! mc admin user info root "$DOCEX_S3_ACCESS_KEY" | grep -q 'docex-app'; then
    mc admin policy attach root docex-app --user "$DOCEX_S3_ACCESS_KEY"
fi
echo "bucket $BUCKET: object lock, GOVERNANCE ${DAYS}d; user $DOCEX_S3_ACCESS_KEY: docex-app"
