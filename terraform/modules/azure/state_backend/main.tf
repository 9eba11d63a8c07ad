locals {
  tags                = merge(var.tags, { purpose = "terraform-state" })
  resource_group_name = var.create_resource_group ? azurerm_resource_group.this[0].name : var.resource_group_name
}

resource "azurerm_resource_group" "this" {
  count = var.create_resource_group ? 1 : 0

  name     = var.resource_group_name
  location = var.location
  tags     = local.tags
}

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_33:Queue service logging configures the queue data plane, which the state account does not use.
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys plus infrastructure (double) encryption; a customer-managed key would put the state behind a Key Vault the state itself describes.
  #checkov:skip=CKV2_AZURE_33:Terraform runs from operators' machines and CI outside the VNet; a private endpoint would lock them out.
  #checkov:skip=CKV_AZURE_59:Public network access is how Terraform reaches the state; allowed_ip_ranges narrows it and Entra ID authorization guards it.
  #checkov:skip=CKV_AZURE_35:The default action follows allowed_ip_ranges (Deny as soon as ranges are given); with none given, Entra ID authorization alone guards the account.
  name                = var.storage_account_name
  resource_group_name = local.resource_group_name
  location            = var.location

  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.replication_type

  https_traffic_only_enabled        = true
  min_tls_version                   = "TLS1_2"
  infrastructure_encryption_enabled = true
  allow_nested_items_to_be_public   = false
  # The azurerm backend authenticates with Entra ID (use_azuread_auth = true), so account keys can stay off.
  shared_access_key_enabled        = false
  default_to_oauth_authentication  = true
  cross_tenant_replication_enabled = false
  local_user_enabled               = false

  blob_properties {
    versioning_enabled = true

    delete_retention_policy {
      days = var.soft_delete_retention_days
    }

    container_delete_retention_policy {
      days = var.soft_delete_retention_days
    }
  }

  network_rules {
    default_action = length(var.allowed_ip_ranges) > 0 ? "Deny" : "Allow"
    bypass         = ["AzureServices"]
    ip_rules       = var.allowed_ip_ranges
  }

  sas_policy {
    expiration_period = "01.00:00:00"
    expiration_action = "Log"
  }

  tags = local.tags
}

resource "azurerm_storage_container" "this" {
  #checkov:skip=CKV2_AZURE_21:Read-request logging needs a Log Analytics workspace the operator chooses; blob versioning keeps every state revision regardless.
  name                  = var.container_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_management_lock" "this" {
  count = var.deletion_protection ? 1 : 0

  name       = "${var.storage_account_name}-no-delete"
  scope      = azurerm_storage_account.this.id
  lock_level = "CanNotDelete"
  notes      = "Holds Terraform state of openedx-deploy environments."
}
