output "records" {
  description = "One record per domain, { name, type, value, zone }: an A record to address, in `zone` when zone_name is set; otherwise to create by hand, with zone \"\"."
  value = [
    for domain in local.domains : {
      name  = domain
      type  = "A"
      value = var.address
      zone  = local.create ? var.zone_name : ""
    }
  ]
}
