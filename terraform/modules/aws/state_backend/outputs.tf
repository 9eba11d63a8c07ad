output "bucket" {
  description = "State bucket name, null when not created."
  value       = try(aws_s3_bucket.this[0].bucket, null)
}

output "lock_table" {
  description = "DynamoDB lock table name, null when not created."
  value       = try(aws_dynamodb_table.lock[0].name, null)
}

output "kms_key_arn" {
  description = "KMS key encrypting the state, null when not created."
  value       = var.create ? local.kms_key_arn : null
}

output "backend_config" {
  description = "Arguments for `terraform init -backend-config` (add key = \"<environment>/terraform.tfstate\")."
  value = var.create ? {
    bucket         = aws_s3_bucket.this[0].bucket
    dynamodb_table = aws_dynamodb_table.lock[0].name
    region         = aws_s3_bucket.this[0].region
    encrypt        = true
    kms_key_id     = local.kms_key_arn
  } : null
}
