locals {
  identifier = "${var.name}-mysql"
  tags       = merge(var.tags, { "openedx-deploy:component" = "mysql" })
  # Open edX stores 4-byte UTF-8 (emoji in forum posts, names); the server defaults must agree.
  parameters = {
    character_set_server     = "utf8mb4"
    collation_server         = "utf8mb4_unicode_ci"
    character_set_client     = "utf8mb4"
    character_set_connection = "utf8mb4"
    character_set_database   = "utf8mb4"
    character_set_results    = "utf8mb4"
    require_secure_transport = var.require_tls ? "1" : "0"
    # Celery and the LMS hold long transactions during course imports.
    innodb_lock_wait_timeout = "120"
    max_allowed_packet       = "67108864"
  }
}

resource "aws_db_subnet_group" "this" {
  count = var.create ? 1 : 0

  name        = local.identifier
  description = "Private data subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = local.tags
}

resource "aws_db_parameter_group" "this" {
  count = var.create ? 1 : 0

  name        = "${local.identifier}-${replace(var.engine_version, ".", "-")}"
  family      = "mysql${var.engine_version}"
  description = "Open edX settings for ${local.identifier}"

  dynamic "parameter" {
    for_each = local.parameters
    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "monitoring_assume" {
  count = var.create ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  count = var.create ? 1 : 0

  name               = "${local.identifier}-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume[0].json

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.create ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:Multi-AZ follows mysql_ha; the single and standard profiles accept a single-zone database
  #checkov:skip=CKV_AWS_293:deletion_protection follows the variable (default true, checked by tests/test_terraform_protections.py); only the throw-away single example turns it off so it can be destroyed
  #checkov:skip=CKV2_AWS_69:require_secure_transport = 1 is in the parameter group (require_tls, default true) through a dynamic block checkov cannot evaluate; tests/test_terraform_protections.py checks it
  count = var.create ? 1 : 0

  identifier     = local.identifier
  engine         = "mysql"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.allocated_storage_gb * 4
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  username                      = var.admin_username
  password                      = var.admin_password == "" ? null : var.admin_password
  manage_master_user_password   = var.admin_password == "" ? true : null
  master_user_secret_kms_key_id = var.admin_password == "" ? var.kms_key_arn : null

  db_subnet_group_name   = aws_db_subnet_group.this[0].name
  vpc_security_group_ids = var.security_group_ids
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this[0].name
  multi_az               = var.multi_az

  backup_retention_period   = var.backup_retention_days
  backup_window             = "03:00-04:00"
  maintenance_window        = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot     = true
  delete_automated_backups  = !var.deletion_protection
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !var.deletion_protection
  final_snapshot_identifier = "${local.identifier}-final"

  auto_minor_version_upgrade          = true
  allow_major_version_upgrade         = false
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["error", "slowquery", "audit"]
  monitoring_interval                 = 60
  monitoring_role_arn                 = aws_iam_role.monitoring[0].arn
  performance_insights_enabled        = var.performance_insights
  performance_insights_kms_key_id     = var.performance_insights ? var.kms_key_arn : null

  tags = merge(local.tags, { Name = local.identifier })
}

resource "aws_db_instance" "replica" {
  #checkov:skip=CKV_AWS_157:a read replica serves reads; the primary carries the Multi-AZ setting
  #checkov:skip=CKV_AWS_133:replicas are rebuilt from the primary, whose automated backups cover the data
  #checkov:skip=CKV2_AWS_69:require_secure_transport = 1 is in the parameter group (require_tls, default true) through a dynamic block checkov cannot evaluate; tests/test_terraform_protections.py checks it
  count = var.create && var.read_replica ? 1 : 0

  identifier          = "${local.identifier}-replica"
  replicate_source_db = aws_db_instance.this[0].identifier
  instance_class      = var.instance_class

  storage_type           = "gp3"
  storage_encrypted      = true
  kms_key_id             = var.kms_key_arn
  vpc_security_group_ids = var.security_group_ids
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this[0].name

  # Replicas are rebuilt from the primary, so no backups or final snapshot of their own.
  backup_retention_period = 0
  skip_final_snapshot     = true
  deletion_protection     = var.deletion_protection
  copy_tags_to_snapshot   = true

  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["error", "slowquery", "audit"]
  monitoring_interval                 = 60
  monitoring_role_arn                 = aws_iam_role.monitoring[0].arn
  performance_insights_enabled        = var.performance_insights
  performance_insights_kms_key_id     = var.performance_insights ? var.kms_key_arn : null

  tags = merge(local.tags, { Name = "${local.identifier}-replica" })
}
