output "zone_id" {
  description = "ID of the hosted zone found for zone_name, \"\" without one (the ACM validation records go there too)."
  value       = try(data.aws_route53_zone.this[0].zone_id, "")
}

output "records" {
  description = "One record per domain, { name, type, value, zone }: ALIAS (a Route 53 alias A record) to the load balancer in `zone` when zone_name is set; otherwise the CNAME to create by hand, with zone \"\"."
  value = [
    for domain in local.domains : {
      name  = domain
      type  = local.create ? "ALIAS" : "CNAME"
      value = var.load_balancer_dns_name
      zone  = local.create ? var.zone_name : ""
    }
  ]
}
