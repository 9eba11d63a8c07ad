# Azure Files over NFS: the file system the app and worker hosts share at /var/lib/openedx outside single (the lms and
# cms data directories and the media: docs/openedx-settings.md, "Several hosts"), so a file one host writes is there
# for all. NFS shares need a premium FileStorage account; NFS carries no account key and no TLS, so the account
# admits the app and worker subnets alone (their Microsoft.Storage service endpoints) and nothing else.

locals {
  tags = merge(var.tags, { environment = var.environment, "openedx-deploy-component" = "shared_files" })
}

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_3:NFS shares require secure transfer off: NFS 4.1 on Azure Files is not carried over HTTPS (Microsoft, "NFS file shares in Azure Files"); the network rules admit the app and worker subnets only
  #checkov:skip=CKV_AZURE_59:Public network access must stay on for the service-endpoint rules to apply; network_rules default to Deny, so nothing outside the app and worker subnets gets in
  #checkov:skip=CKV2_AZURE_33:The account firewall (default Deny) admits only the app and worker subnets' service endpoints; a private endpoint adds a DNS zone and nothing the firewall does not already enforce
  #checkov:skip=CKV2_AZURE_1:Customer-managed keys need a Key Vault key life cycle of their own; Microsoft-managed keys plus infrastructure (double) encryption are used
  #checkov:skip=CKV_AZURE_33:Queue service logging configures the queue data plane, which a FileStorage account does not have
  #checkov:skip=CKV_AZURE_43:The name is made by the stack from the environment name and a suffix, which the scanner cannot evaluate; the account_name validation keeps it to 3-24 lowercase letters and digits
  #checkov:skip=CKV2_AZURE_38:Blob soft delete does not apply: a FileStorage account has no blob service; deleted shares are kept soft_delete_retention_days (share_properties.retention_policy)
  #checkov:skip=CKV_AZURE_206:Premium file shares offer LRS and ZRS only; the stack takes ZRS when the environment names zones
  count = var.create ? 1 : 0

  name                = var.account_name
  location            = var.location
  resource_group_name = var.resource_group_name

  account_kind             = "FileStorage"
  account_tier             = "Premium"
  account_replication_type = var.replication_type

  https_traffic_only_enabled        = false
  min_tls_version                   = "TLS1_2"
  infrastructure_encryption_enabled = true
  allow_nested_items_to_be_public   = false
  # NFS authenticates by network, not by key; Terraform manages the share through Azure Resource Manager.
  shared_access_key_enabled        = false
  default_to_oauth_authentication  = true
  cross_tenant_replication_enabled = false
  local_user_enabled               = false
  sftp_enabled                     = false

  share_properties {
    # A deleted share can be restored for this many days.
    retention_policy {
      days = var.soft_delete_retention_days
    }
  }

  network_rules {
    default_action             = "Deny"
    bypass                     = ["AzureServices"]
    virtual_network_subnet_ids = var.allowed_subnet_ids
  }

  tags = local.tags
}

resource "azurerm_storage_share" "this" {
  count = var.create ? 1 : 0

  name               = var.share_name
  storage_account_id = azurerm_storage_account.this[0].id
  enabled_protocol   = "NFS"
  quota              = var.quota_gb
}

resource "azurerm_management_lock" "this" {
  count = var.create && var.deletion_protection ? 1 : 0

  name       = "${var.account_name}-no-delete"
  scope      = azurerm_storage_account.this[0].id
  lock_level = "CanNotDelete"
  notes      = "deletion_protection is on for environment ${var.environment}; remove the lock (set deletion_protection = false and apply) before destroying."
}
