locals {
  project = var.project_id == "" ? null : var.project_id

  service_account_email = var.create_service_account ? google_service_account.this[0].email : var.service_account_email

  # The buckets Open edX itself reads and writes. Backups are not among them: the operator's machine fetches the
  # dumps from the hosts through Ansible and uploads them with its own credentials (openedx_deploy/backup.py), so a
  # compromised host can neither read nor delete them.
  host_bucket_kinds = [for kind in var.bucket_kinds : kind if kind != "backups"]
}

resource "google_storage_bucket" "this" {
  #checkov:skip=CKV_GCP_62:Access is recorded by Cloud Audit Logs (Data Access logs for Cloud Storage); legacy usage-log buckets would need their own unlogged bucket.
  for_each = toset(var.bucket_kinds)

  name                        = "${var.bucket_prefix}-${each.key}"
  project                     = local.project
  location                    = upper(var.location)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = merge(var.labels, { bucket = each.key })

  versioning {
    enabled = var.versioning
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == "" ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
}

# One identity for the hosts; it gets no project-wide role, only object admin on the buckets Open edX uses.
resource "google_service_account" "this" {
  count = var.create_service_account ? 1 : 0

  account_id   = "${substr(var.environment, 0, 24)}-host"
  project      = local.project
  display_name = "Open edX hosts of ${var.environment}"
  description  = "Runs the ${var.environment} hosts; object admin on the environment's buckets except backups."
}

resource "google_storage_bucket_iam_member" "hosts" {
  # Decided on inputs only: the created account's e-mail is unknown until apply.
  for_each = var.create_service_account || var.service_account_email != "" ? toset(local.host_bucket_kinds) : toset([])

  bucket = google_storage_bucket.this[each.key].name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${local.service_account_email}"
}

# Signed URLs (grade reports, exports) are signed through the IAM signBlob API when the hosts use metadata-server
# credentials, which needs this role on the account itself; it grants nothing beyond the account's own rights.
resource "google_service_account_iam_member" "self_signing" {
  count = var.create_service_account && var.allow_self_signing ? 1 : 0

  service_account_id = google_service_account.this[0].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.this[0].email}"
}
