output "bucket_names" {
  description = "Bucket names by purpose: uploads, exports, grades, backups."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}

output "bucket_arns" {
  description = "Bucket ARNs by purpose."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "bucket_regional_domain_names" {
  description = "Regional endpoints of the buckets, by purpose."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket_regional_domain_name }
}
