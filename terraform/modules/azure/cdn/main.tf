# Azure Front Door (Standard) in front of the LMS's /static/ and /media/: one endpoint, one origin (the LMS's public
# name, over HTTPS, behind the Application Gateway), one route for those paths only, cached on the path alone.

locals {
  create        = var.create
  custom_domain = local.create && var.domain != ""
  # Front Door names: letters, digits and hyphens, at most 46 characters for an endpoint (it becomes a host name).
  prefix = "${var.name}-cdn"
  # A record name relative to the zone.
  record_name = trimsuffix(var.domain, ".${var.zone_name}")
}

resource "azurerm_cdn_frontdoor_profile" "this" {
  count = local.create ? 1 : 0

  name                     = local.prefix
  resource_group_name      = var.resource_group_name
  sku_name                 = "Standard_AzureFrontDoor"
  response_timeout_seconds = 60
  tags                     = var.tags
}

resource "azurerm_cdn_frontdoor_endpoint" "this" {
  count = local.create ? 1 : 0

  name                     = local.prefix
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this[0].id
  enabled                  = true
  tags                     = var.tags
}

resource "azurerm_cdn_frontdoor_origin_group" "this" {
  count = local.create ? 1 : 0

  name                     = "${local.prefix}-lms"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this[0].id
  session_affinity_enabled = false

  load_balancing {
    sample_size                 = 4
    successful_samples_required = 3
  }

  # The LMS's heartbeat, as the Application Gateway probes it.
  health_probe {
    protocol            = "Https"
    path                = "/heartbeat"
    request_type        = "HEAD"
    interval_in_seconds = 100
  }
}

resource "azurerm_cdn_frontdoor_origin" "this" {
  count = local.create ? 1 : 0

  name                          = "${local.prefix}-lms"
  cdn_frontdoor_origin_group_id = azurerm_cdn_frontdoor_origin_group.this[0].id
  enabled                       = true
  host_name                     = var.origin_domain
  origin_host_header            = var.origin_domain
  https_port                    = 443
  http_port                     = 80
  priority                      = 1
  weight                        = 1000
  # The gateway's certificate names the LMS: checked like a browser would.
  certificate_name_check_enabled = true
}

# CORS for the fonts and scripts pages of another origin load from the CDN (openedx-platform#38648).
resource "azurerm_cdn_frontdoor_rule_set" "this" {
  count = local.create ? 1 : 0

  name                     = replace("${var.name}cdnheaders", "-", "")
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this[0].id
}

resource "azurerm_cdn_frontdoor_rule" "cors" {
  count = local.create ? 1 : 0

  name                      = "cors"
  cdn_frontdoor_rule_set_id = azurerm_cdn_frontdoor_rule_set.this[0].id
  order                     = 1
  behavior_on_match         = "Continue"

  actions {
    response_header_action {
      header_action = "Overwrite"
      header_name   = "Access-Control-Allow-Origin"
      value         = "*"
    }
  }

  depends_on = [azurerm_cdn_frontdoor_origin_group.this, azurerm_cdn_frontdoor_origin.this]
}

resource "azurerm_cdn_frontdoor_route" "this" {
  count = local.create ? 1 : 0

  name                            = "${local.prefix}-assets"
  cdn_frontdoor_endpoint_id       = azurerm_cdn_frontdoor_endpoint.this[0].id
  cdn_frontdoor_origin_group_id   = azurerm_cdn_frontdoor_origin_group.this[0].id
  cdn_frontdoor_origin_ids        = [azurerm_cdn_frontdoor_origin.this[0].id]
  cdn_frontdoor_rule_set_ids      = [azurerm_cdn_frontdoor_rule_set.this[0].id]
  cdn_frontdoor_custom_domain_ids = local.custom_domain ? [azurerm_cdn_frontdoor_custom_domain.this[0].id] : []
  enabled                         = true
  patterns_to_match               = var.paths
  supported_protocols             = ["Http", "Https"]
  https_redirect_enabled          = true
  forwarding_protocol             = "HttpsOnly"
  link_to_default_domain          = true

  cache {
    # The key is the path and the query string: a changed profile image keeps its name and gets a new ?v=.
    query_string_caching_behavior = "UseQueryString"
    compression_enabled           = true
    content_types_to_compress     = ["text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml", "font/ttf", "text/plain"]
  }
}

# ---- a custom name: validated by a TXT record in the zone, its certificate managed by Front Door ----

data "azurerm_dns_zone" "this" {
  count = local.custom_domain ? 1 : 0

  name                = var.zone_name
  resource_group_name = var.zone_resource_group == "" ? null : var.zone_resource_group
}

resource "azurerm_cdn_frontdoor_custom_domain" "this" {
  count = local.custom_domain ? 1 : 0

  name                     = replace(var.domain, ".", "-")
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this[0].id
  dns_zone_id              = data.azurerm_dns_zone.this[0].id
  host_name                = var.domain

  tls {
    certificate_type = "ManagedCertificate"
  }
}

resource "azurerm_dns_txt_record" "validation" {
  count = local.custom_domain ? 1 : 0

  name                = "_dnsauth.${local.record_name}"
  zone_name           = data.azurerm_dns_zone.this[0].name
  resource_group_name = data.azurerm_dns_zone.this[0].resource_group_name
  ttl                 = 3600
  tags                = var.tags

  record {
    value = azurerm_cdn_frontdoor_custom_domain.this[0].validation_token
  }
}

resource "azurerm_dns_cname_record" "this" {
  count = local.custom_domain ? 1 : 0

  name                = local.record_name
  zone_name           = data.azurerm_dns_zone.this[0].name
  resource_group_name = data.azurerm_dns_zone.this[0].resource_group_name
  ttl                 = 3600
  record              = azurerm_cdn_frontdoor_endpoint.this[0].host_name
  tags                = var.tags

  depends_on = [azurerm_cdn_frontdoor_route.this]
}

resource "azurerm_cdn_frontdoor_custom_domain_association" "this" {
  count = local.custom_domain ? 1 : 0

  cdn_frontdoor_custom_domain_id = azurerm_cdn_frontdoor_custom_domain.this[0].id
  cdn_frontdoor_route_ids        = [azurerm_cdn_frontdoor_route.this[0].id]
}
