# Amazon MQ for RabbitMQ: the managed Celery broker on AWS (rabbitmq.mode managed; docs/rabbitmq.md, "Amazon MQ").

locals {
  tags = merge(var.tags, { "openedx-deploy:component" = "rabbitmq" })
  # One broker in the first data subnet, or a cluster of three nodes over the data subnets' zones.
  deployment_mode = var.cluster ? "CLUSTER_MULTI_AZ" : "SINGLE_INSTANCE"
  # The AMQP endpoint, amqps://<name>:5671; its host name is what the certificate is for.
  endpoint = try(aws_mq_broker.this[0].instances[0].endpoints[0], "")
}

resource "aws_mq_broker" "this" {
  #checkov:skip=CKV_AWS_209:Amazon MQ for RabbitMQ encrypts at rest with an AWS-owned key only; encryption options do not apply to RabbitMQ brokers (AWS CloudFormation reference, AWS::AmazonMQ::Broker EncryptionOptions)
  #checkov:skip=CKV_AWS_197:audit logs are ActiveMQ's; a RabbitMQ broker has general logs only, which are on
  count = var.create ? 1 : 0

  broker_name        = "${var.name}-rabbitmq"
  engine_type        = "RabbitMQ"
  engine_version     = var.engine_version
  host_instance_type = var.instance_type
  deployment_mode    = local.deployment_mode
  # Private: reached from the app and worker tiers through its security group only.
  publicly_accessible = false
  subnet_ids          = var.cluster ? var.subnet_ids : [var.subnet_ids[0]]
  security_groups     = var.security_group_ids
  # Amazon MQ requires it for RabbitMQ 3.13 and later: patch versions come in the maintenance window.
  auto_minor_version_upgrade = true
  apply_immediately          = false

  maintenance_window_start_time {
    day_of_week = "SUNDAY"
    time_of_day = "05:30"
    time_zone   = "UTC"
  }

  logs {
    general = true
  }

  # The one user Amazon MQ creates a RabbitMQ broker with; a change replaces the broker (it cannot update users).
  user {
    username = var.admin_user
    password = var.admin_password
  }

  tags = merge(local.tags, { Name = "${var.name}-rabbitmq" })
}
