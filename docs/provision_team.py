"""Create teams and virtual keys via the LiteLLM management API."""
import httpx
GATEWAY_URL = "http://localhost:4000"
MASTER_KEY = "sk-master-..."
async def create_team_and_key(
team_name: str,
monthly_budget_usd: float,
rpm_limit: int = 100,
models: list[str] | None = None,
) -> dict:
    """Provision a team with budget limits and generate an API key.
    Args:
    team_name: Human-readable team identifier.
    monthly_budget_usd: Maximum monthly spend in USD.
    rpm_limit: Requests per minute limit.
    models: Allowed model names (None = all models).
    Returns:
    Dict with team_id and api_key for the team.
    """
    async with httpx.AsyncClient() as client:
        # Create team
        team_resp = await client.post(
            f"{GATEWAY_URL}/team/new",
            headers={"Authorization": f"Bearer {MASTER_KEY}"},
            json={
                "team_alias": team_name,
                "max_budget": monthly_budget_usd,
                "rpm_limit": rpm_limit,
                "models": models or [],
                "budget_duration": "1mo",
            },
        )
        team_data = team_resp.json()
        # Generate key for the team
        key_resp = await client.post(
            f"{GATEWAY_URL}/key/generate",
            headers={"Authorization": f"Bearer {MASTER_KEY}"},
            json={
                "team_id": team_data["team_id"],
                "key_alias": f"{team_name}-production",
                "max_budget": monthly_budget_usd,
                "rpm_limit": rpm_limit,
            },
        )
        key_data = key_resp.json()
        return {
            "team_id": team_data["team_id"],
            "api_key": key_data["key"],
        }
