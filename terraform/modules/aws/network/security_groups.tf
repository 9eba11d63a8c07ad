# Security groups of every tier. Data stores accept their ports only from the app and worker groups (and from
# their own group, for replication between peers); nothing on the data tier is reachable from the internet.

locals {
  # The data stores, and the RabbitMQ broker, which admits the same clients.
  data_stores = ["mysql", "mongodb", "redis", "search", "rabbitmq"]

  data_ingress = merge([
    for store, ports in var.data_ports : merge([
      for port in ports : {
        for source in ["app", "worker", "self"] :
        "${store}-${port}-${source}" => { store = store, port = port, source = source }
      }
    ]...)
  ]...)

  ssh_targets = concat(["app", "worker"], local.data_stores)

  # Only the bastion is reachable from the allowed ranges; the hosts accept SSH from the bastion alone.
  ssh_from_cidrs = { for cidr in var.ssh_allowed_cidrs : "bastion-${cidr}" => { target = "bastion", cidr = cidr } }

  group_ids = merge(
    {
      lb      = aws_security_group.lb.id
      app     = aws_security_group.app.id
      worker  = aws_security_group.worker.id
      bastion = aws_security_group.bastion.id
    },
    { for store in local.data_stores : store => aws_security_group.data[store].id },
  )
}

resource "aws_security_group" "lb" {
  #checkov:skip=CKV2_AWS_5:attached by the stack to the load balancer, outside this module
  name        = "${var.name}-lb"
  description = "Load balancer: HTTP/HTTPS from the internet, forwards to the app tier"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-lb" })
}

resource "aws_vpc_security_group_ingress_rule" "lb" {
  #checkov:skip=CKV_AWS_260:port 80 stays open so the load balancer can redirect HTTP to HTTPS (and serve ACME HTTP-01)
  for_each = toset([for p in var.lb_listener_ports : tostring(p)])

  security_group_id = aws_security_group.lb.id
  description       = "Public web traffic on ${each.value}"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = "0.0.0.0/0"

  tags = local.tags
}

resource "aws_vpc_security_group_egress_rule" "lb_to_app" {
  for_each = toset([for p in var.lb_listener_ports : tostring(p)])

  security_group_id            = aws_security_group.lb.id
  description                  = "Forward to the app tier on ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = aws_security_group.app.id

  tags = local.tags
}

resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:attached by the stack to the app hosts, outside this module
  name        = "${var.name}-app"
  description = "App hosts (LMS, Studio, notes, MFE, nginx): web ports from the load balancer only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-app" })
}

resource "aws_vpc_security_group_ingress_rule" "app_from_lb" {
  for_each = toset([for p in var.lb_listener_ports : tostring(p)])

  security_group_id            = aws_security_group.app.id
  description                  = "Web traffic from the load balancer on ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = aws_security_group.lb.id

  tags = local.tags
}

resource "aws_security_group" "worker" {
  #checkov:skip=CKV2_AWS_5:attached by the stack to the worker hosts, outside this module
  name        = "${var.name}-worker"
  description = "Celery worker hosts: no inbound traffic except SSH from the bastion or allowed ranges"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-worker" })
}

resource "aws_security_group" "data" {
  #checkov:skip=CKV2_AWS_5:attached by the stack to the store's hosts or managed service, outside this module
  for_each = toset(local.data_stores)

  name        = "${var.name}-${each.key}"
  description = "${each.key}: its ports from the app and worker tiers and its own peers only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_security_group_ingress_rule" "data" {
  for_each = local.data_ingress

  security_group_id            = aws_security_group.data[each.value.store].id
  description                  = "${each.value.store} port ${each.value.port} from ${each.value.source == "self" ? "its peers" : "the ${each.value.source} tier"}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.source == "self" ? aws_security_group.data[each.value.store].id : (each.value.source == "app" ? aws_security_group.app.id : aws_security_group.worker.id)

  tags = local.tags
}

resource "aws_security_group" "bastion" {
  #checkov:skip=CKV2_AWS_5:attached by the stack to the bastion hosts, outside this module
  name        = "${var.name}-bastion"
  description = "SSH bastion: port 22 from ssh_allowed_cidrs only"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-bastion" })
}

resource "aws_vpc_security_group_ingress_rule" "ssh_from_bastion" {
  #checkov:skip=CKV_AWS_24:the source is the bastion security group, not 0.0.0.0/0 (checkov reads a rule without a CIDR as open)
  for_each = toset(local.ssh_targets)

  security_group_id            = local.group_ids[each.key]
  description                  = "SSH from the bastion"
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
  referenced_security_group_id = aws_security_group.bastion.id

  tags = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "ssh_from_cidrs" {
  for_each = local.ssh_from_cidrs

  security_group_id = local.group_ids[each.value.target]
  description       = "SSH from an allowed range"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value.cidr

  tags = local.tags
}

# Hosts need outbound access (through the NAT gateway) for OS packages, container images, SMTP, DNS and NTP,
# whose destinations are not fixed addresses.
resource "aws_vpc_security_group_egress_rule" "hosts" {
  #checkov:skip=CKV_AWS_382:hosts reach package mirrors, image registries and SMTP relays at addresses not known in advance
  for_each = toset(concat(["app", "worker", "bastion"], local.data_stores))

  security_group_id = local.group_ids[each.key]
  description       = "Outbound through the NAT gateway"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"

  tags = local.tags
}
