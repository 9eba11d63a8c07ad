# Amazon EFS: the file system the app and worker hosts share at /var/lib/openedx outside single (the lms and cms data
# directories and the media: docs/openedx-settings.md, "Several hosts"), so a file one host writes is there for all.

locals {
  tags = merge(var.tags, { "openedx-deploy:component" = "shared_files" })
}

resource "aws_efs_file_system" "this" {
  count = var.create ? 1 : 0

  creation_token = "${var.name}-shared"
  encrypted      = true
  kms_key_id     = var.kms_key_arn
  # General purpose: the lowest latency per operation, which small uploads and course imports need. Elastic
  # throughput scales with use and bills for it, instead of bursting credits that a small file system runs out of.
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  # Files untouched for transition_to_ia_days move to Infrequent Access, and come back on their first read.
  dynamic "lifecycle_policy" {
    for_each = var.transition_to_ia_days > 0 ? [var.transition_to_ia_days] : []
    content {
      transition_to_ia = "AFTER_${lifecycle_policy.value}_DAYS"
    }
  }

  dynamic "lifecycle_policy" {
    for_each = var.transition_to_ia_days > 0 ? [1] : []
    content {
      transition_to_primary_storage_class = "AFTER_1_ACCESS"
    }
  }

  tags = merge(local.tags, { Name = "${var.name}-shared" })
}

# Automatic backups by AWS Backup (daily, kept 35 days, in the account's default backup vault). EFS has no deletion
# protection: these recovery points outlive the file system.
resource "aws_efs_backup_policy" "this" {
  count = var.create ? 1 : 0

  file_system_id = aws_efs_file_system.this[0].id

  backup_policy {
    status = var.backup ? "ENABLED" : "DISABLED"
  }
}

# One mount target per subnet of the app and worker tiers (one per zone): each host mounts the one in its own zone
# through the file system's DNS name.
resource "aws_efs_mount_target" "this" {
  count = var.create ? length(var.subnet_ids) : 0

  file_system_id  = aws_efs_file_system.this[0].id
  subnet_id       = var.subnet_ids[count.index]
  security_groups = [aws_security_group.this[0].id]
}

resource "aws_security_group" "this" {
  count = var.create ? 1 : 0

  name        = "${var.name}-shared-files"
  description = "EFS mount targets: NFS (2049) from the app and worker tiers only"
  vpc_id      = var.vpc_id

  tags = merge(local.tags, { Name = "${var.name}-shared-files" })
}

resource "aws_vpc_security_group_ingress_rule" "nfs" {
  for_each = var.create ? var.client_security_group_ids : {}

  security_group_id            = aws_security_group.this[0].id
  description                  = "NFS from the ${each.key} tier"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = each.value

  tags = local.tags
}
