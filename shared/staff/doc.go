// Package staff owns the rules of the staff workspace's sign-in: the roles, how an identity
// provider's groups map to them, and how long a staff session lasts. It decides; shared/store
// persists staff sessions and functions/approval speaks OpenID Connect.
package staff
