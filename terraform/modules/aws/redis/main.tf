locals {
  id   = "${var.name}-redis"
  tags = merge(var.tags, { "openedx-deploy:component" = "redis" })
  # ElastiCache stops at Redis OSS 7.1; 7.1 speaks the same protocol the 7.x clients use.
  engine_version = tonumber(var.engine_version) > 7.1 ? "7.1" : var.engine_version
}

resource "aws_elasticache_subnet_group" "this" {
  count = var.create ? 1 : 0

  name        = local.id
  description = "Private data subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = local.tags
}

resource "aws_cloudwatch_log_group" "slow_log" {
  count = var.create ? 1 : 0

  name              = "/openedx-deploy/${var.name}/redis-slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = local.tags
}

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:Multi-AZ automatic failover follows redis_ha (on in the ha profile); a single node cannot fail over
  count = var.create ? 1 : 0

  replication_group_id = local.id
  description          = "Open edX Celery broker and cache for ${var.name}"
  engine               = "redis"
  engine_version       = local.engine_version
  node_type            = var.node_type
  port                 = 6379

  num_cache_clusters         = var.ha ? 2 : 1
  automatic_failover_enabled = var.ha
  multi_az_enabled           = var.ha

  subnet_group_name  = aws_elasticache_subnet_group.this[0].name
  security_group_ids = var.security_group_ids

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  auth_token                 = var.auth_token == "" ? null : var.auth_token

  auto_minor_version_upgrade = true
  snapshot_retention_limit   = var.snapshot_retention_days
  snapshot_window            = "02:00-03:00"
  maintenance_window         = "sun:05:30-sun:06:30"
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.slow_log[0].name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  tags = merge(local.tags, { Name = local.id })
}
