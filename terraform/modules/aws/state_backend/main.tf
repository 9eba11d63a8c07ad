# The remote state backend: a versioned, encrypted, private S3 bucket and a DynamoDB lock table. It is normally
# applied once per account/region with local state (bootstrap) before the stacks point their backend at it.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  tags = merge(var.tags, { "openedx-deploy:component" = "state_backend" })
  # A toggle known at plan time: counting on `kms_key_arn == null` fails at plan when the ARN comes from a key
  # created in the same apply (as the stacks pass theirs).
  create_key = var.create && var.create_kms_key
  # One naming rule with openedx-deploy's backend settings (render.backend_config): <bucket>-lock by default.
  lock_table_name = coalesce(var.lock_table_name, "${var.bucket_name}-lock")
  kms_key_arn     = local.create_key ? aws_kms_key.this[0].arn : var.kms_key_arn
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_356:in a key policy, Resource "*" means this key only
  #checkov:skip=CKV_AWS_109:the account root statement is the AWS default key policy; it delegates to IAM, it grants nothing by itself
  #checkov:skip=CKV_AWS_111:see CKV_AWS_109, the default key policy delegating to the account's IAM policies
  count = local.create_key ? 1 : 0

  # Key administration and use stay with IAM policies of the account, as in the AWS default key policy.
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_key ? 1 : 0

  description             = "Terraform state in ${var.bucket_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key[0].json

  tags = local.tags
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:state access is audited with CloudTrail; server access logs cannot go to an SSE-KMS bucket
  #checkov:skip=CKV_AWS_144:state is small and reproducible from the versions kept here; cross-region copies are an operator choice
  #checkov:skip=CKV2_AWS_62:nothing consumes state-change notifications
  #checkov:skip=CKV2_AWS_6:aws_s3_bucket_public_access_block.this below blocks all public access; checkov does not follow for_each/count references between resources
  #checkov:skip=CKV2_AWS_61:aws_s3_bucket_lifecycle_configuration.this below expires old state versions; checkov does not follow for_each/count references between resources
  #checkov:skip=CKV_AWS_21:aws_s3_bucket_versioning.this below enables versioning; checkov does not follow for_each/count references between resources
  #checkov:skip=CKV_AWS_145:aws_s3_bucket_server_side_encryption_configuration.this below sets SSE-KMS; checkov does not follow for_each/count references between resources
  count = var.create ? 1 : 0

  bucket = var.bucket_name
  # Never emptied by Terraform: S3 refuses to delete a bucket that still holds state (or old versions of it), which
  # protects the state whatever deletion_protection says. No `prevent_destroy`: it cannot follow a variable, and it
  # would make every stack that creates its backend (and its examples) impossible to destroy.
  force_destroy = false

  tags = merge(local.tags, { Name = var.bucket_name })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  count = var.create ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[0].arn, "${aws_s3_bucket.this[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.tls_only[0].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_dynamodb_table" "lock" {
  count = var.create ? 1 : 0

  name                        = local.lock_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "LockID"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = merge(local.tags, { Name = local.lock_table_name })
}
