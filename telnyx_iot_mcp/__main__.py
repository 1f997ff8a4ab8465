from telnyx_iot_mcp.server.cli import main

main()
