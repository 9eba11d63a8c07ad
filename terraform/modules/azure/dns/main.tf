# The public names (LMS, Studio, MFEs, notes, Meilisearch) in an Azure DNS zone, as A records to the Application
# Gateway's public address. Without a zone nothing is created and `records` says which records to create by hand.

locals {
  create  = var.zone_name != ""
  domains = distinct(var.domains)
}

# The public DNS zone, looked up by its name (the operator's, not created here); without a resource group, Azure
# searches the subscription.
data "azurerm_dns_zone" "this" {
  count = local.create ? 1 : 0

  name                = var.zone_name
  resource_group_name = var.zone_resource_group == "" ? null : var.zone_resource_group
}

resource "azurerm_dns_a_record" "this" {
  for_each = local.create ? toset(local.domains) : toset([])

  # Record names are relative to the zone; "@" is the zone apex.
  name                = each.key == var.zone_name ? "@" : trimsuffix(each.key, ".${var.zone_name}")
  zone_name           = data.azurerm_dns_zone.this[0].name
  resource_group_name = data.azurerm_dns_zone.this[0].resource_group_name
  ttl                 = var.ttl
  records             = [var.address]
  tags                = var.tags
}
