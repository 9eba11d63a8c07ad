locals {
  purposes = ["uploads", "exports", "grades", "backups"]
  tags     = merge(var.tags, { "openedx-deploy:component" = "storage" })
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:server access logs cannot be delivered to SSE-KMS buckets; object access is audited with CloudTrail data events at the account level
  #checkov:skip=CKV_AWS_144:cross-region replication is a disaster-recovery choice per deployment, not a default (backups bucket can be replicated by the operator)
  #checkov:skip=CKV2_AWS_62:no consumer for bucket event notifications; Open edX polls nothing from S3
  #checkov:skip=CKV2_AWS_6:aws_s3_bucket_public_access_block.this below blocks all public access on every bucket; checkov does not follow for_each/count references between resources
  #checkov:skip=CKV2_AWS_61:aws_s3_bucket_lifecycle_configuration.this below covers every bucket; checkov does not follow for_each/count references between resources
  #checkov:skip=CKV_AWS_21:aws_s3_bucket_versioning.this below enables versioning (storage_versioning, default true); checkov does not follow for_each/count references between resources
  #checkov:skip=CKV_AWS_145:aws_s3_bucket_server_side_encryption_configuration.this below sets SSE-KMS on every bucket; checkov does not follow for_each/count references between resources
  for_each = toset(local.purposes)

  bucket        = "${var.bucket_prefix}-${each.key}"
  force_destroy = !var.deletion_protection

  tags = merge(local.tags, { Name = "${var.bucket_prefix}-${each.key}", "openedx-deploy:bucket" = each.key })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  versioning_configuration {
    status = var.versioning ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # S3 Bucket Keys cut the KMS request rate (and cost) for many small course assets.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "expire-noncurrent-versions"
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
  for_each = aws_s3_bucket.this

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]
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

  statement {
    sid     = "DenyOldTls"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # A bucket policy written before the public access block could be judged public and refused.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_cors_configuration" "uploads" {
  count = length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this["uploads"].id

  cors_rule {
    allowed_methods = ["GET", "HEAD", "PUT", "POST"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}
