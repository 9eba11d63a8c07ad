# The public names (LMS, Studio, MFEs, notes, Meilisearch) in a Route 53 hosted zone, as alias records to the load
# balancer. Without a zone nothing is created and `records` says which records to create by hand.

locals {
  create  = var.zone_name != ""
  domains = distinct(var.domains)
}

# The public hosted zone, looked up by its DNS name (the operator's, not created here).
data "aws_route53_zone" "this" {
  count = local.create ? 1 : 0

  name         = var.zone_name
  private_zone = false
}

# Alias A records: they follow the load balancer's changing addresses, work at the zone apex and cost no queries.
resource "aws_route53_record" "this" {
  for_each = local.create ? toset(local.domains) : toset([])

  zone_id = data.aws_route53_zone.this[0].zone_id
  name    = each.key
  type    = "A"

  alias {
    name                   = var.load_balancer_dns_name
    zone_id                = var.load_balancer_zone_id
    evaluate_target_health = true
  }
}
