"""app.figures"""
