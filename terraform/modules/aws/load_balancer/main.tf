# cloud/provided: an Application Load Balancer terminates TLS with an ACM certificate, redirects HTTP to HTTPS and
# forwards plain HTTP to nginx on the app hosts inside the VPC.
# acme/self_signed: the certificate lives on the app hosts (ACME needs HTTP-01 on port 80 reaching nginx), so a
# Network Load Balancer passes TCP 80 and 443 through unchanged and nginx redirects and terminates TLS.

locals {
  alb        = contains(["cloud", "provided"], var.tls_mode)
  tags       = merge(var.tags, { "openedx-deploy:component" = "load_balancer" })
  pem_blocks = local.alb && var.tls_mode == "provided" ? regexall("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----", file(var.certificate_file)) : []
  nlb_ports  = local.alb ? [] : [80, 443]
  target_pairs = {
    for pair in setproduct(local.nlb_ports, range(length(var.target_instance_ids))) :
    "${pair[0]}-${pair[1]}" => { port = pair[0], index = pair[1] }
  }
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:access logs need an SSE-S3 bucket of their own; enable per deployment with access_logs when required
  #checkov:skip=CKV2_AWS_28:a WAF web ACL is an operator choice (rules and cost); associate one with this load balancer when required
  #checkov:skip=CKV2_AWS_76:see CKV2_AWS_28, no WAF by default
  #checkov:skip=CKV_AWS_150:deletion protection follows the deletion_protection input (false only for disposable environments)
  name                       = "${var.name}-${local.alb ? "alb" : "nlb"}"
  load_balancer_type         = local.alb ? "application" : "network"
  internal                   = false
  subnets                    = var.subnet_ids
  security_groups            = var.security_group_ids
  enable_deletion_protection = var.deletion_protection
  drop_invalid_header_fields = local.alb ? true : null
  idle_timeout               = local.alb ? var.idle_timeout : null
  enable_http2               = local.alb ? true : null

  enable_cross_zone_load_balancing = true

  tags = merge(local.tags, { Name = "${var.name}-lb" })
}

# ---- ALB: certificate ----

resource "aws_acm_certificate" "cloud" {
  count = var.tls_mode == "cloud" ? 1 : 0

  domain_name               = var.domains[0]
  subject_alternative_names = slice(var.domains, 1, length(var.domains))
  validation_method         = "DNS"

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = var.tls_mode == "cloud" && var.route53_zone_id != "" ? toset(var.domains) : toset([])

  zone_id         = var.route53_zone_id
  name            = one([for o in aws_acm_certificate.cloud[0].domain_validation_options : o.resource_record_name if o.domain_name == each.key])
  type            = one([for o in aws_acm_certificate.cloud[0].domain_validation_options : o.resource_record_type if o.domain_name == each.key])
  records         = [one([for o in aws_acm_certificate.cloud[0].domain_validation_options : o.resource_record_value if o.domain_name == each.key])]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "cloud" {
  count = var.tls_mode == "cloud" ? 1 : 0

  certificate_arn         = aws_acm_certificate.cloud[0].arn
  validation_record_fqdns = var.route53_zone_id != "" ? [for r in aws_route53_record.validation : r.fqdn] : null
}

resource "aws_acm_certificate" "provided" {
  count = var.tls_mode == "provided" ? 1 : 0

  certificate_body  = local.pem_blocks[0]
  certificate_chain = length(local.pem_blocks) > 1 ? join("\n", slice(local.pem_blocks, 1, length(local.pem_blocks))) : null
  private_key       = file(var.private_key_file)

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

# ---- ALB: listeners and target group ----

resource "aws_lb_target_group" "http" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; the hop to nginx stays inside the VPC's private app subnets
  count = local.alb ? 1 : 0

  name                 = "${var.name}-http"
  vpc_id               = var.vpc_id
  port                 = 80
  protocol             = "HTTP"
  target_type          = "instance"
  deregistration_delay = "60"

  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  stickiness {
    type    = "lb_cookie"
    enabled = false
  }

  tags = local.tags
}

resource "aws_lb_target_group_attachment" "http" {
  count = local.alb ? length(var.target_instance_ids) : 0

  target_group_arn = aws_lb_target_group.http[0].arn
  target_id        = var.target_instance_ids[count.index]
  port             = 80
}

resource "aws_lb_listener" "redirect" {
  count = local.alb ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = local.tags
}

resource "aws_lb_listener" "https" {
  count = local.alb ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.tls_mode == "cloud" ? aws_acm_certificate_validation.cloud[0].certificate_arn : aws_acm_certificate.provided[0].arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.http[0].arn
  }

  tags = local.tags
}

# ---- NLB: TCP passthrough to nginx ----

resource "aws_lb_target_group" "tcp" {
  for_each = toset([for p in local.nlb_ports : tostring(p)])

  name        = "${var.name}-tcp${each.key}"
  vpc_id      = var.vpc_id
  port        = tonumber(each.key)
  protocol    = "TCP"
  target_type = "instance"

  # Both ports are judged by the application's heartbeat over HTTPS, since port 80 only redirects.
  health_check {
    enabled             = true
    protocol            = "HTTPS"
    port                = "443"
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = local.tags
}

resource "aws_lb_target_group_attachment" "tcp" {
  for_each = local.target_pairs

  target_group_arn = aws_lb_target_group.tcp[tostring(each.value.port)].arn
  target_id        = var.target_instance_ids[each.value.index]
  port             = each.value.port
}

resource "aws_lb_listener" "tcp" {
  #checkov:skip=CKV_AWS_2:TCP passthrough by design: nginx on the app hosts terminates TLS (acme/self_signed) and redirects HTTP to HTTPS
  #checkov:skip=CKV_AWS_103:the TLS policy is nginx's (TLS 1.2+), the NLB only forwards TCP
  for_each = aws_lb_target_group.tcp

  load_balancer_arn = aws_lb.this.arn
  port              = tonumber(each.key)
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = each.value.arn
  }

  tags = local.tags
}
