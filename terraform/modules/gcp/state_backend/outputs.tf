output "bucket" {
  description = "Name of the state bucket."
  value       = google_storage_bucket.this.name
}

output "backend_config" {
  description = "Settings for a `backend \"gcs\"` block (or -backend-config): { bucket, prefix }."
  value = {
    bucket = google_storage_bucket.this.name
    prefix = var.prefix
  }
}
