# Amazon DocumentDB as the managed MongoDB option. It implements the MongoDB wire protocol, not the server: the
# gaps that matter for Open edX are listed in docs/clouds.md and the README.

locals {
  id     = "${var.name}-docdb"
  tags   = merge(var.tags, { "openedx-deploy:component" = "mongodb" })
  family = "docdb${join(".", slice(split(".", var.engine_version), 0, 2))}"
}

resource "aws_docdb_subnet_group" "this" {
  count = var.create ? 1 : 0

  name        = local.id
  description = "Private data subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = local.tags
}

resource "aws_docdb_cluster_parameter_group" "this" {
  count = var.create ? 1 : 0

  name        = "${local.id}-${replace(var.engine_version, ".", "-")}"
  family      = local.family
  description = "TLS and audit settings for ${local.id}"

  parameter {
    name  = "tls"
    value = "enabled"
  }

  parameter {
    name  = "audit_logs"
    value = "enabled"
  }

  parameter {
    name  = "profiler"
    value = "enabled"
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_docdb_cluster" "this" {
  count = var.create ? 1 : 0

  cluster_identifier              = local.id
  engine                          = "docdb"
  engine_version                  = var.engine_version
  master_username                 = var.admin_username
  manage_master_user_password     = true
  db_subnet_group_name            = aws_docdb_subnet_group.this[0].name
  db_cluster_parameter_group_name = aws_docdb_cluster_parameter_group.this[0].name
  vpc_security_group_ids          = var.security_group_ids
  port                            = 27017

  storage_encrypted = true
  kms_key_id        = var.kms_key_arn

  backup_retention_period         = var.backup_retention_days
  preferred_backup_window         = "03:00-04:00"
  preferred_maintenance_window    = "sun:04:30-sun:05:30"
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = !var.deletion_protection
  final_snapshot_identifier       = "${local.id}-final"
  enabled_cloudwatch_logs_exports = ["audit", "profiler"]

  tags = merge(local.tags, { Name = local.id })
}

resource "aws_docdb_cluster_instance" "this" {
  count = var.create ? var.instance_count : 0

  identifier                 = "${local.id}-${count.index + 1}"
  cluster_identifier         = aws_docdb_cluster.this[0].id
  instance_class             = var.instance_class
  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  promotion_tier             = count.index

  tags = merge(local.tags, { Name = "${local.id}-${count.index + 1}" })
}
