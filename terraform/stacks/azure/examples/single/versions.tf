terraform {
  required_version = ">= 1.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.0, < 5.0"
    }
  }
}

provider "azurerm" {
  features {}

  # null (not "") lets the provider fall back to ARM_SUBSCRIPTION_ID or the Azure CLI.
  subscription_id = var.subscription_id == "" ? null : var.subscription_id

  # Data-plane calls (blob containers) use Entra ID, so the storage account can keep shared keys off.
  storage_use_azuread = true
}
