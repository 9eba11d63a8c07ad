locals {
  project = var.project_id == "" ? null : var.project_id
}

# Terraform's gcs backend locks with a lock object in this bucket; no separate lock table is needed.
resource "google_storage_bucket" "this" {
  #checkov:skip=CKV_GCP_62:Access is recorded by Cloud Audit Logs (Data Access logs for Cloud Storage); legacy usage-log buckets would need their own unlogged bucket.
  name                        = var.bucket_name
  project                     = local.project
  location                    = upper(var.location)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = merge(var.labels, { purpose = "terraform-state" })

  versioning {
    enabled = true
  }

  # Both conditions must hold: old state versions go only when they are both old and not among the newest kept.
  lifecycle_rule {
    condition {
      num_newer_versions         = var.noncurrent_versions_kept
      days_since_noncurrent_time = var.noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == "" ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
}

resource "google_storage_bucket_iam_member" "admins" {
  for_each = toset(var.admin_members)

  bucket = google_storage_bucket.this.name
  role   = "roles/storage.objectAdmin"
  member = each.value
}
