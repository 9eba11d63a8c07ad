data "azurerm_client_config" "current" {}

locals {
  tags = var.tags

  # Vault names are global and at most 24 characters; a hash of subscription and resource group keeps two
  # environments of the same name (other subscriptions) from colliding.
  key_vault_name = "${substr(var.name, 0, 13)}-tls-${substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.resource_group_name}"), 0, 6)}"

  sku_name = var.waf_enabled ? "WAF_v2" : "Standard_v2"
  zones    = length(var.zones) > 0 ? var.zones : null

  certificate_secret_id = var.tls_mode == "provided" ? azurerm_key_vault_certificate.imported[0].versionless_secret_id : azurerm_key_vault_certificate.generated[0].versionless_secret_id

  acme = var.tls_mode == "acme"
}

resource "azurerm_public_ip" "this" {
  name                = "${var.name}-agw-pip"
  location            = var.location
  resource_group_name = var.resource_group_name
  allocation_method   = "Static"
  sku                 = "Standard"
  zones               = local.zones
  domain_name_label   = var.domain_name_label
  tags                = local.tags
}

# The gateway reads its certificate from Key Vault with this identity (a PFX would need a password we do not have).
resource "azurerm_user_assigned_identity" "gateway" {
  name                = "${var.name}-agw"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = local.tags
}

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_109:The default action is a variable (Allow by default so the operator's Terraform can write the certificate); access is RBAC-only either way.
  #checkov:skip=CKV_AZURE_189:Public network access stays on for the same reason; set key_vault_network_default_action = Deny with allowed ranges to restrict it.
  #checkov:skip=CKV2_AZURE_32:A private endpoint would lock out the Terraform run that imports the certificate from outside the VNet.
  name                       = local.key_vault_name
  location                   = var.location
  resource_group_name        = var.resource_group_name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 7

  network_acls {
    default_action = var.key_vault_network_default_action
    bypass         = "AzureServices"
    ip_rules       = var.key_vault_allowed_ip_ranges
  }

  tags = local.tags
}

# Whoever runs Terraform writes the certificate.
resource "azurerm_role_assignment" "terraform_certificates" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Certificates Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_role_assignment" "gateway_secrets" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.gateway.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "certificate_writers" {
  count = length(var.certificate_writer_principal_ids)

  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Certificates Officer"
  principal_id         = var.certificate_writer_principal_ids[count.index]
  principal_type       = "ServicePrincipal"
}

resource "azurerm_key_vault_certificate" "imported" {
  count = var.tls_mode == "provided" ? 1 : 0

  name         = "${var.name}-tls"
  key_vault_id = azurerm_key_vault.this.id

  certificate {
    contents = base64encode(var.certificate_pem)
  }

  certificate_policy {
    issuer_parameters {
      name = "Unknown"
    }

    key_properties {
      exportable = true
      key_type   = "RSA"
      key_size   = 2048
      reuse_key  = false
    }

    secret_properties {
      content_type = "application/x-pem-file"
    }
  }

  tags = local.tags

  depends_on = [azurerm_role_assignment.terraform_certificates]
}

resource "azurerm_key_vault_certificate" "generated" {
  count = var.tls_mode == "provided" ? 0 : 1

  name         = "${var.name}-tls"
  key_vault_id = azurerm_key_vault.this.id

  certificate_policy {
    issuer_parameters {
      name = var.tls_mode == "cloud" ? var.certificate_issuer : "Self"
    }

    key_properties {
      exportable = true
      key_type   = "RSA"
      key_size   = 2048
      reuse_key  = false
    }

    lifetime_action {
      action {
        action_type = "AutoRenew"
      }

      trigger {
        days_before_expiry = 30
      }
    }

    secret_properties {
      content_type = "application/x-pkcs12"
    }

    x509_certificate_properties {
      subject            = "CN=${var.domains[0]}"
      validity_in_months = 12
      key_usage          = ["digitalSignature", "keyEncipherment"]
      extended_key_usage = ["1.3.6.1.5.5.7.3.1"]

      subject_alternative_names {
        dns_names = var.domains
      }
    }
  }

  tags = local.tags

  depends_on = [azurerm_role_assignment.terraform_certificates]

  lifecycle {
    # Under acme the hosts import new versions with their own policy; those are not drift to undo.
    ignore_changes = [certificate_policy]
  }
}

resource "azurerm_web_application_firewall_policy" "this" {
  count = var.waf_enabled ? 1 : 0

  name                = "${var.name}-waf"
  location            = var.location
  resource_group_name = var.resource_group_name

  policy_settings {
    enabled                     = true
    mode                        = "Prevention"
    request_body_check          = true
    max_request_body_size_in_kb = 2000
    # Studio course imports are uploads of whole course archives.
    file_upload_limit_in_mb = 500
  }

  managed_rules {
    managed_rule_set {
      type    = "OWASP"
      version = "3.2"
    }
  }

  tags = local.tags
}

resource "azurerm_application_gateway" "this" {
  #checkov:skip=CKV_AZURE_120:WAF is the waf_enabled toggle (off by default: OWASP rules need tuning for Open edX before Prevention mode is safe).
  #checkov:skip=CKV_AZURE_217:The HTTP listener only redirects to HTTPS (and, under acme, passes ACME challenges); no content is served over HTTP.
  name                = "${var.name}-agw"
  location            = var.location
  resource_group_name = var.resource_group_name
  zones               = local.zones
  http2_enabled       = true
  firewall_policy_id  = var.waf_enabled ? azurerm_web_application_firewall_policy.this[0].id : null

  sku {
    name = local.sku_name
    tier = local.sku_name
  }

  autoscale_configuration {
    min_capacity = var.min_capacity
    max_capacity = var.max_capacity
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.gateway.id]
  }

  gateway_ip_configuration {
    name      = "gateway"
    subnet_id = var.subnet_id
  }

  frontend_ip_configuration {
    name                 = "public"
    public_ip_address_id = azurerm_public_ip.this.id
  }

  frontend_port {
    name = "http"
    port = 80
  }

  frontend_port {
    name = "https"
    port = 443
  }

  ssl_policy {
    policy_type = "Predefined"
    policy_name = "AppGwSslPolicy20220101S"
  }

  ssl_certificate {
    name                = "site"
    key_vault_secret_id = local.certificate_secret_id
  }

  backend_address_pool {
    name = "app"
  }

  probe {
    name                = "heartbeat"
    protocol            = "Http"
    host                = var.domains[0]
    path                = var.health_check_path
    interval            = 15
    timeout             = 10
    unhealthy_threshold = 3

    match {
      status_code = ["200-399"]
    }
  }

  # Plain HTTP inside the VNet: the gateway terminates TLS and adds X-Forwarded-Proto/-For itself.
  backend_http_settings {
    name                  = "app-http"
    protocol              = "Http"
    port                  = var.backend_port
    cookie_based_affinity = "Disabled"
    request_timeout       = 300
    probe_name            = "heartbeat"

    connection_draining {
      enabled           = true
      drain_timeout_sec = 60
    }
  }

  http_listener {
    name                           = "http"
    frontend_ip_configuration_name = "public"
    frontend_port_name             = "http"
    protocol                       = "Http"
  }

  http_listener {
    name                           = "https"
    frontend_ip_configuration_name = "public"
    frontend_port_name             = "https"
    protocol                       = "Https"
    ssl_certificate_name           = "site"
  }

  redirect_configuration {
    name                 = "http-to-https"
    redirect_type        = "Permanent"
    target_listener_name = "https"
    include_path         = true
    include_query_string = true
  }

  # Under acme, HTTP-01 challenges must reach the hosts over plain HTTP; everything else is redirected.
  dynamic "url_path_map" {
    for_each = local.acme ? [1] : []
    content {
      name                                = "http-acme"
      default_redirect_configuration_name = "http-to-https"

      path_rule {
        name                       = "acme-challenge"
        paths                      = ["/.well-known/acme-challenge/*"]
        backend_address_pool_name  = "app"
        backend_http_settings_name = "app-http"
      }
    }
  }

  request_routing_rule {
    name                        = "http"
    priority                    = 100
    http_listener_name          = "http"
    rule_type                   = local.acme ? "PathBasedRouting" : "Basic"
    redirect_configuration_name = local.acme ? null : "http-to-https"
    url_path_map_name           = local.acme ? "http-acme" : null
  }

  request_routing_rule {
    name                       = "https"
    priority                   = 200
    http_listener_name         = "https"
    rule_type                  = "Basic"
    backend_address_pool_name  = "app"
    backend_http_settings_name = "app-http"
  }

  tags = local.tags

  depends_on = [azurerm_role_assignment.gateway_secrets]
}
