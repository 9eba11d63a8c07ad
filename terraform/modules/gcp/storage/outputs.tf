output "buckets" {
  description = "Bucket name per kind: { uploads, exports, grades, backups }."
  value       = { for k, b in google_storage_bucket.this : k => b.name }
}

output "bucket_urls" {
  description = "gs:// URL per kind."
  value       = { for k, b in google_storage_bucket.this : k => b.url }
}

output "service_account_email" {
  description = "E-mail of the hosts' service account (created here or given)."
  value       = local.service_account_email
}
