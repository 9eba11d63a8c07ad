data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  domain_name = "${var.name}-search"
  tags        = merge(var.tags, { "openedx-deploy:component" = "search" })
  zone_count  = var.instance_count >= 3 && length(var.subnet_ids) >= 3 ? 3 : (var.instance_count >= 2 && length(var.subnet_ids) >= 2 ? 2 : 1)
  domain_arn  = "arn:${data.aws_partition.current.partition}:es:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:domain/${local.domain_name}"
  log_types   = ["INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS", "AUDIT_LOGS"]
  internal_db = var.master_user_password != ""
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.create ? toset(local.log_types) : toset([])

  name              = "/openedx-deploy/${var.name}/opensearch/${lower(each.key)}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = local.tags
}

data "aws_iam_policy_document" "logs" {
  count = var.create ? 1 : 0

  statement {
    actions   = ["logs:PutLogEvents", "logs:CreateLogStream"]
    resources = [for g in aws_cloudwatch_log_group.this : "${g.arn}:*"]
    principals {
      type        = "Service"
      identifiers = ["es.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "this" {
  count = var.create ? 1 : 0

  policy_name     = "${local.domain_name}-logs"
  policy_document = data.aws_iam_policy_document.logs[0].json
}

# Fine-grained access control decides who may do what; the resource policy only admits HTTP calls, and the
# VPC placement plus the security group decide who can connect at all.
data "aws_iam_policy_document" "access" {
  #checkov:skip=CKV_AWS_283:fine-grained access control authenticates every call (internal users cannot be IAM principals); the domain is reachable only inside the VPC through the search security group
  count = var.create ? 1 : 0

  statement {
    actions   = ["es:ESHttp*"]
    resources = ["${local.domain_arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}

resource "aws_opensearch_domain" "this" {
  #checkov:skip=CKV2_AWS_59:dedicated masters follow dedicated_master_type (set by the stack for the ha profile)
  #checkov:skip=CKV_AWS_318:see CKV2_AWS_59, three dedicated masters when dedicated_master_type is set
  #checkov:skip=CKV_AWS_248:security groups come from the caller (the network module's search group), never the default group
  #checkov:skip=CKV_AWS_228:Policy-Min-TLS-1-2-PFS-2023-10 is newer and stricter than the TLS 1.2 policy checkov knows
  count = var.create ? 1 : 0

  domain_name     = local.domain_name
  engine_version  = "OpenSearch_${var.engine_version}"
  access_policies = data.aws_iam_policy_document.access[0].json

  cluster_config {
    instance_type          = var.instance_type
    instance_count         = var.instance_count
    zone_awareness_enabled = local.zone_count > 1

    # Three dedicated masters keep cluster state safe while data nodes restart (quorum of 2).
    dedicated_master_enabled = var.dedicated_master_type != ""
    dedicated_master_type    = var.dedicated_master_type != "" ? var.dedicated_master_type : null
    dedicated_master_count   = var.dedicated_master_type != "" ? 3 : null

    dynamic "zone_awareness_config" {
      for_each = local.zone_count > 1 ? [1] : []
      content {
        availability_zone_count = local.zone_count
      }
    }
  }

  vpc_options {
    subnet_ids         = slice(var.subnet_ids, 0, local.zone_count)
    security_group_ids = var.security_group_ids
  }

  ebs_options {
    ebs_enabled = true
    volume_type = "gp3"
    volume_size = var.volume_gb
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = var.kms_key_arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-PFS-2023-10"
  }

  advanced_security_options {
    enabled                        = true
    anonymous_auth_enabled         = false
    internal_user_database_enabled = local.internal_db

    master_user_options {
      master_user_name     = local.internal_db ? var.master_user_name : null
      master_user_password = local.internal_db ? var.master_user_password : null
      master_user_arn      = local.internal_db ? null : var.master_user_arn
    }
  }

  software_update_options {
    auto_software_update_enabled = true
  }

  log_publishing_options {
    log_type                 = "AUDIT_LOGS"
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this["AUDIT_LOGS"].arn
    enabled                  = true
  }

  log_publishing_options {
    log_type                 = "ES_APPLICATION_LOGS"
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this["ES_APPLICATION_LOGS"].arn
    enabled                  = true
  }

  log_publishing_options {
    log_type                 = "INDEX_SLOW_LOGS"
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this["INDEX_SLOW_LOGS"].arn
    enabled                  = true
  }

  log_publishing_options {
    log_type                 = "SEARCH_SLOW_LOGS"
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this["SEARCH_SLOW_LOGS"].arn
    enabled                  = true
  }

  tags = merge(local.tags, { Name = local.domain_name })

  depends_on = [aws_cloudwatch_log_resource_policy.this]
}
