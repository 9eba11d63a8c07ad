# The outputs every cloud's shared_files module gives (docs/contracts.md section 4), then Azure's own.

output "type" {
  description = "The protocol hosts mount it with: nfs (NFS 4.1); null when not created."
  value       = var.create ? "nfs" : null
}

output "address" {
  description = "The account's file endpoint host, <account>.file.core.windows.net; null when not created."
  value       = try(azurerm_storage_account.this[0].primary_file_host, null)
}

output "export" {
  description = "The path to mount, /<account>/<share>; null when not created."
  value       = var.create ? "/${var.account_name}/${azurerm_storage_share.this[0].name}" : null
}

output "options" {
  description = "The NFS mount options Microsoft documents for NFS Azure file shares on Linux (NFS 4.1, sec=sys, nconnect=4); null when not created."
  value       = var.create ? "vers=4,minorversion=1,sec=sys,nconnect=4" : null
}

output "storage_account_id" {
  description = "ID of the premium FileStorage account, null when not created."
  value       = try(azurerm_storage_account.this[0].id, null)
}
